import Foundation

/// The runs recorded in a workspace's `.stephost/runs/`, newest first.
public struct RunHistory: Sendable {
    public let workspace: String
    public var directory: String { "\(workspace)/.stephost/runs" }

    public init(workspace: String) { self.workspace = workspace }

    /// Every readable run, newest first (by the time its journal says it started).
    public func all() -> [RecordedRun] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let runs = names.compactMap { try? RecordedRun.read(directory: "\(directory)/\($0)") }
        return runs.sorted { ($0.startedAt ?? .distantPast, $0.id) > ($1.startedAt ?? .distantPast, $1.id) }
    }

    /// `last`, a run id, or a prefix of one that names a single run.
    public func find(_ ref: String) throws(RunError) -> RecordedRun {
        let runs = all()
        if ref == "last" {
            guard let r = runs.first else { throw .usage("no run is recorded in \(directory)") }
            return r
        }
        if let r = runs.first(where: { $0.id == ref }) { return r }
        let matches = runs.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw .usage("no run '\(ref)' in \(directory) (see stephost runs)") }
        throw .usage("'\(ref)' matches \(matches.count) runs: \(matches.prefix(5).map(\.id).joined(separator: ", "))")
    }
}
