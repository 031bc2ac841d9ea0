import Foundation
import StepManifest
import StepMetrics
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StepHTTP
import StepJournal
import StepMask
import StepProcess
import StepProtocol

/// Sends a finished run to an OpenTelemetry collector as OTLP/HTTP JSON, configured the way
/// every OTLP exporter is: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the URL as is) or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/traces`), headers from `OTEL_EXPORTER_OTLP_HEADERS`
/// (and `..._TRACES_HEADERS`), `OTEL_SERVICE_NAME`. It never fails the run: a collector that
/// cannot be reached, refuses, or does not answer costs one warning, after at most 5 seconds.
///
/// It is one of the run's reporters: it keeps the run's end as the event stream delivered it
/// (masked there, like everything a run says) and sends that once the run is over.
final class TraceExporter: RunReporter {
    let url: URL
    let headers: [String: String]
    let serviceName: String
    static let deadline: Double = 5
    private let finished = Locked<RunSummary?>(nil)

    init(url: URL, headers: [String: String], serviceName: String) {
        self.url = url; self.headers = headers; self.serviceName = serviceName
    }

    func report(_ event: RunEvent) {
        if case .runFinished(let f) = event, let summary = f.summary { finished.withLock { $0 = summary } }
    }

    /// The exporter the environment asks for, or nil; a malformed setting is a warning.
    static func configured(_ env: [String: String], warn: (String) -> Void) -> TraceExporter? {
        let endpoint: String
        if let t = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !t.isEmpty {
            endpoint = t
        } else if let e = env["OTEL_EXPORTER_OTLP_ENDPOINT"], !e.isEmpty {
            endpoint = (e.hasSuffix("/") ? String(e.dropLast()) : e) + "/v1/traces"
        } else {
            return nil
        }
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            warn("OTEL_EXPORTER_OTLP_ENDPOINT: '\(endpoint)' is not an http(s) URL; the trace is not exported")
            return nil
        }
        var headers: [String: String] = [:]
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            for (n, entry) in (env[name] ?? "").split(separator: ",").enumerated() where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
                // Its text is a credential's: never quoted, not even in part.
                guard let eq = entry.firstIndex(of: "=") else { warn("\(name): entry \(n + 1) is not key=value; left out"); continue }
                let key = entry[..<eq].trimmingCharacters(in: .whitespaces)
                let raw = entry[entry.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                headers[key] = raw.removingPercentEncoding ?? raw
            }
        }
        let service = env["OTEL_SERVICE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "stephost"
        return TraceExporter(url: url, headers: headers, serviceName: service)
    }

    /// Header values are credentials (an API key): masked in everything the run prints or keeps.
    func mask(with masker: Masker) { for v in headers.values { masker.add(v) } }

    /// Posts the run it was told of; returns a warning when it did not arrive.
    func export(sha: String, masker: Masker) async -> String? {
        guard let summary = finished.current else { return nil }
        let trace = RunTrace(summary: summary, sha: sha, serviceName: serviceName, hostVersion: version)
        let body = Data(trace.body.encoded().utf8)
        let h = headers.merging(["Content-Type": "application/json"]) { $1 }
        // The deadline below ends the wait; the client's own timeout is only a backstop.
        let client = HTTPClient(timeout: TraceExporter.deadline * 2)
        let target = url, credentials = !headers.isEmpty
        let outcome: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    // OTLP headers are credentials whatever their names: never over plain http off this machine.
                    if target.scheme?.lowercased() == "http", !HTTPClient.isLoopback(target.host), credentials {
                        return "OTEL_EXPORTER_OTLP_HEADERS are credentials and go only over https (or to a loopback address); the endpoint is plain http"
                    }
                    let r = try await client.send("POST", target, headers: h, body: body)
                    return (200..<300).contains(r.status) ? nil : "the collector answered HTTP \(r.status)\(r.text.isEmpty ? "" : ": \(masker.mask(r.text, keeping: 200))")"
                } catch is CancellationError {
                    return "no answer within \(Int(TraceExporter.deadline)) s"
                } catch let e as URLError where e.code == .timedOut {
                    return "no answer within \(Int(TraceExporter.deadline)) s"
                } catch {
                    return "\(error.localizedDescription)"
                }
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(TraceExporter.deadline * 1e9))
                return "no answer within \(Int(TraceExporter.deadline)) s"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return outcome.map { masker.mask("trace of run \(summary.id) not exported to \(HTTPClient.redacted(target)): \($0)") }
    }
}
