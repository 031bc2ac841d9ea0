import Foundation
import StepPlugins
import StepProtocol

/// A recorded plugin, played back (`stephost run --replay DIR` starts one per recording as
/// `stephost __replay DIR/NAME.jsonl`): `initialize` is answered as recorded; a `step/run` with
/// the recorded notifications and answer of the recorded request with the same `uses` and inputs
/// (paths under the workspace or temp dir compared relative to them); any other `step/run` fails,
/// showing how its inputs differ from the closest recording.
public struct PluginReplayer {
    /// One recorded step/run: what was asked, and what came back.
    struct Exchange {
        var uses: String
        var with: JSONValue
        var workspace: String
        var tempDir: String
        var notifications: [JSONValue] = []
        var answer: JSONValue?
    }

    let file: String
    /// The recorded answer to `initialize`.
    public private(set) var initialize: JSONValue?
    var exchanges: [Exchange] = []
    /// How many times each exchange was played (the same request twice plays the recordings in order).
    var played: [Int: Int] = [:]

    public init(recording file: String) throws(PluginError) {
        self.file = file
        guard let data = FileManager.default.contents(atPath: file) else { throw .recording(path: file, reason: "the recording cannot be read") }
        var open: [String: Int] = [:]   // "process/id" → exchange
        for (n, raw) in data.split(separator: 0x0A).enumerated() {
            guard let entry = try? JSONParser.parse(String(decoding: raw, as: UTF8.self)), let m = entry["message"] else {
                throw .recording(path: "\(file):\(n + 1)", reason: "not a recorded message")
            }
            let key = "\(entry["process"]?.intValue ?? 0)/\(m["id"]?.encoded() ?? m["params"]?["id"]?.encoded() ?? "")"
            if entry["from"] == "host" {
                guard m["method"] == "step/run", let p = m["params"] else { continue }
                open[key] = exchanges.count
                exchanges.append(Exchange(uses: p["step"]?["uses"]?.stringValue ?? "", with: p["with"] ?? [:],
                                          workspace: p["workspace"]?.stringValue ?? "", tempDir: p["tempDir"]?.stringValue ?? ""))
            } else if m["method"] != nil {
                if let k = open[key] { exchanges[k].notifications.append(m) }
            } else if initialize == nil, m["result"]?["protocolVersion"] != nil {
                initialize = m["result"]
            } else if let k = open[key] {
                exchanges[k].answer = m
            }
        }
        guard initialize != nil else { throw .recording(path: file, reason: "the recording holds no answer to initialize") }
    }

    /// `value` with the workspace and temp dir written as `<workspace>` and `<tempDir>`.
    static func relative(_ value: JSONValue, workspace: String, tempDir: String) -> JSONValue {
        switch value {
        case .string(let s):
            var t = s
            if !tempDir.isEmpty { t = t.replacingOccurrences(of: tempDir, with: "<tempDir>") }
            if !workspace.isEmpty { t = t.replacingOccurrences(of: workspace, with: "<workspace>") }
            return .string(t)
        case .array(let a): return .array(a.map { relative($0, workspace: workspace, tempDir: tempDir) })
        case .object(let o): return .object(o.mapValues { relative($0, workspace: workspace, tempDir: tempDir) })
        default: return value
        }
    }

    /// `value` with the recorded workspace and temp dir replaced by this run's.
    static func moved(_ value: JSONValue, from e: Exchange, workspace: String, tempDir: String) -> JSONValue {
        switch value {
        case .string(let s):
            var t = s
            if !e.tempDir.isEmpty { t = t.replacingOccurrences(of: e.tempDir, with: tempDir) }
            if !e.workspace.isEmpty && e.workspace != workspace { t = t.replacingOccurrences(of: e.workspace, with: workspace) }
            return .string(t)
        case .array(let a): return .array(a.map { moved($0, from: e, workspace: workspace, tempDir: tempDir) })
        case .object(let o): return .object(o.mapValues { moved($0, from: e, workspace: workspace, tempDir: tempDir) })
        default: return value
        }
    }

    /// The recorded messages that answer a `step/run` with id `id` (notifications, then the answer).
    public mutating func play(id: RequestID, params: JSONValue) -> [JSONValue] {
        let uses = params["step"]?["uses"]?.stringValue ?? ""
        let workspace = params["workspace"]?.stringValue ?? "", tempDir = params["tempDir"]?.stringValue ?? ""
        let asked = Self.relative(params["with"] ?? [:], workspace: workspace, tempDir: tempDir)
        let same = exchanges.indices.filter { exchanges[$0].uses == uses }
        let matching = same.filter { Self.relative(exchanges[$0].with, workspace: exchanges[$0].workspace, tempDir: exchanges[$0].tempDir) == asked }
        guard !matching.isEmpty else { return [failure(id: id, uses: uses, asked: asked, candidates: same)] }
        // Recordings of the same request are played in order; the last one again after that.
        let pick = matching.first { (played[$0] ?? 0) == 0 } ?? matching[matching.count - 1]
        played[pick, default: 0] += 1
        let e = exchanges[pick]
        var out: [JSONValue] = e.notifications.map { n in
            guard var o = n.objectValue, var p = o["params"]?.objectValue else { return n }
            p["id"] = id.json
            o["params"] = Self.moved(.object(p), from: e, workspace: workspace, tempDir: tempDir)
            return .object(o)
        }
        if var answer = e.answer?.objectValue {
            answer["id"] = id.json
            if let r = answer["result"] { answer["result"] = Self.moved(r, from: e, workspace: workspace, tempDir: tempDir) }
            out.append(.object(answer))
        } else {
            out.append(Message.errorResponse(id: id, error: .stepFailed("replay: the recorded step/run of \(uses) was never answered")).json())
        }
        return out
    }

    /// A step that matches no recording fails, saying how its inputs differ from the closest one.
    func failure(id: RequestID, uses: String, asked: JSONValue, candidates: [Int]) -> JSONValue {
        var message = "replay: no recorded step/run of '\(uses)' with these inputs in \(file)"
        if candidates.isEmpty {
            message = "replay: \(file) holds no step/run of '\(uses)'"
        } else {
            let recorded = candidates.map { Self.relative(exchanges[$0].with, workspace: exchanges[$0].workspace, tempDir: exchanges[$0].tempDir) }
            let diffs = recorded.map { Self.differences(asked, $0, path: "with") }
            let closest = diffs.min { $0.count < $1.count } ?? []
            message += "; the closest recording differs in " + closest.prefix(5).joined(separator: "; ")
        }
        return Message.errorResponse(id: id, error: .stepFailed(message, hint: "record the run again (--record DIR) after changing the step's inputs")).json()
    }

    static func differences(_ now: JSONValue, _ then: JSONValue, path: String) -> [String] {
        if let a = now.objectValue, let b = then.objectValue {
            return Set(a.keys).union(b.keys).sorted().flatMap { k in differences(a[k] ?? .null, b[k] ?? .null, path: "\(path).\(k)") }
        }
        return now == then ? [] : ["\(path): recorded \(then.encoded().prefix(80)), now \(now.encoded().prefix(80))"]
    }
}
