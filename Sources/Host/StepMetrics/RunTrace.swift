import Foundation
import StepManifest
import StepProtocol

/// A finished run as one OpenTelemetry trace, in the OTLP/HTTP JSON encoding
/// (`ExportTraceServiceRequest`): a span for the run, a child span per step or
/// for-each instance, and under each a span per attempt. Trace and span ids
/// are hex, derived from the run id (the same run always gives the same ids);
/// times are Unix nanoseconds as decimal strings; enums are integers.
public struct RunTrace {
    public let summary: RunSummary
    /// The commit the run built (`vcs.ref.head.revision`).
    public let sha: String
    public let serviceName: String
    public let hostVersion: String

    public init(summary: RunSummary, sha: String, serviceName: String, hostVersion: String) {
        self.summary = summary; self.sha = sha; self.serviceName = serviceName; self.hostVersion = hostVersion
    }

    /// OTLP status codes and the span kind used (INTERNAL).
    static let unset = 0, ok = 1, error = 2, internalKind = 1

    /// 16 bytes of the run id's SHA-256, as 32 hex digits.
    public var traceID: String { RunTrace.id("stephost-trace/\(summary.id)", bytes: 16) }

    /// 8 bytes of the SHA-256 of the run id and the span's path, as 16 hex digits.
    func spanID(_ path: String) -> String { RunTrace.id("stephost-span/\(summary.id)/\(path)", bytes: 8) }

    static func id(_ seed: String, bytes: Int) -> String {
        SHA256.lowercaseHex(SHA256.hash(Array(seed.utf8)).prefix(bytes))
    }

    public var body: JSONValue {
        let runSpan = spanID("run")
        let runStart = summary.startedAt
        let runEnd = runStart.addingTimeInterval(Double(summary.durationMs) / 1000)
        let failed = summary.steps.filter { $0.status == .failure && !$0.continuedOnError }
        var spans: [JSONValue] = [span(
            id: runSpan, parent: nil, name: "stephost run \(summary.workflows.joined(separator: ","))", start: runStart, end: runEnd,
            attributes: [
                ("stephost.run_id", .string(summary.id)), ("stephost.workflow", .string(summary.workflows.joined(separator: ","))),
                ("stephost.environment", .string(summary.environment ?? "")), ("vcs.ref.head.revision", .string(sha)),
                ("stephost.exit_code", .int(Int(summary.exitCode))), ("stephost.dry_run", .bool(summary.dryRun)),
            ] + (summary.resumedFrom.map { [("stephost.resumed_from", JSONValue.string($0))] } ?? []),
            status: summary.exitCode == 0 ? (RunTrace.ok, nil)
                : (RunTrace.error, failed.isEmpty ? "exit status \(summary.exitCode)" : "failed: \(failed.map(\.id).joined(separator: ", "))"))]
        for r in summary.steps {
            let path = "\(r.workflow)/\(r.id)"
            let stepSpan = spanID(path)
            // A step that did not run here (skipped, reused from a resumed run) is an instant at the run's start.
            let ran = r.attempts > 0 && !r.attemptLog.isEmpty
            let start = ran ? r.startedAt ?? runStart : runStart
            let end = ran ? start.addingTimeInterval(Double(r.durationMs) / 1000) : start
            spans.append(span(
                id: stepSpan, parent: runSpan, name: r.id, start: start, end: end,
                attributes: [("stephost.workflow", .string(r.workflow)), ("stephost.step", .string(r.id)), ("stephost.uses", .string(r.uses)),
                             ("stephost.kind", .string(r.kind)), ("stephost.status", .string(r.statusName)), ("stephost.attempts", .int(r.attempts))]
                    + (r.reason.map { [("stephost.reason", JSONValue.string($0))] } ?? []),
                status: RunTrace.status(r.status, error: r.error ?? r.reason)))
            for a in r.attemptLog {
                spans.append(span(
                    id: spanID("\(path)#\(a.number)"), parent: stepSpan, name: "\(r.id) attempt \(a.number)", start: a.startedAt,
                    end: a.startedAt.addingTimeInterval(Double(a.durationMs) / 1000),
                    attributes: [("stephost.attempt", .int(a.number)), ("stephost.status", .string(a.status == .success && r.wouldRun ? "would-run" : a.status.rawValue))],
                    status: RunTrace.status(a.status, error: a.error)))
            }
        }
        return ["resourceSpans": [[
            "resource": ["attributes": .array([attribute("service.name", .string(serviceName))])],
            "scopeSpans": [["scope": ["name": "stephost", "version": .string(hostVersion)], "spans": .array(spans)]],
        ]]]
    }

    static func status(_ s: StepStatus, error: String?) -> (Int, String?) {
        switch s {
        case .failure: return (RunTrace.error, error ?? "failed")
        case .success: return (RunTrace.ok, nil)
        default: return (RunTrace.unset, nil)
        }
    }

    func span(id: String, parent: String?, name: String, start: Date, end: Date, attributes: [(String, JSONValue)],
              status: (Int, String?)) -> JSONValue {
        .compactObject([
            "traceId": .string(traceID), "spanId": .string(id), "parentSpanId": parent.map(JSONValue.string), "name": .string(name),
            "kind": .int(RunTrace.internalKind),
            "startTimeUnixNano": .string(RunTrace.nanos(start)), "endTimeUnixNano": .string(RunTrace.nanos(max(end, start))),
            "attributes": .array(attributes.map { attribute($0.0, $0.1) }),
            "status": .compactObject(["code": .int(status.0), "message": status.1.map(JSONValue.string)]),
        ])
    }

    /// An OTLP `KeyValue`: strings, booleans and integers (64-bit integers are decimal strings in OTLP JSON).
    func attribute(_ key: String, _ value: JSONValue) -> JSONValue {
        let v: JSONValue
        switch value {
        case .bool(let b): v = ["boolValue": .bool(b)]
        case .number(let n): v = ["intValue": .string(String(Int64(n)))]
        default: v = ["stringValue": .string(value.stringValue ?? value.encoded())]
        }
        return ["key": .string(key), "value": v]
    }

    /// Unix nanoseconds, to the microsecond (what a `Date` holds reliably).
    static func nanos(_ d: Date) -> String {
        let us = Int64((d.timeIntervalSince1970 * 1_000_000).rounded(.down))
        return "\(us)000"
    }
}
