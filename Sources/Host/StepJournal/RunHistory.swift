import Foundation

/// The runs recorded in a workspace's `.stephost/runs/`, newest first.
public struct RunHistory: Sendable {
    public let workspace: String
    public var directory: String { "\(workspace)/.stephost/runs" }

    public init(workspace: String) { self.workspace = workspace }

    /// Readable runs, newest first (by the time its journal says it started).
    /// With `limit`, only the newest journals are read: run ids begin with their
    /// UTC start second, so the names sort by age except within one second.
    public func all(limit: Int? = nil) -> [RunJournal] {
        var names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted(by: >)
        if let limit { names = Array(names.prefix(limit + 8)) }
        let runs = names.compactMap { try? RunJournal.read(directory: "\(directory)/\($0)") }
        let sorted = runs.sorted { ($0.startedAt ?? .distantPast, $0.id) > ($1.startedAt ?? .distantPast, $1.id) }
        return limit.map { Array(sorted.prefix($0)) } ?? sorted
    }

    /// `last` (the newest run that was not a dry run), a run id, or a prefix of one that names a single run.
    public func find(_ ref: String) throws(JournalError) -> RunJournal {
        if ref == "last" {
            let runs = all()
            guard let r = runs.first(where: { !$0.dryRun }) else {
                throw .noSuchRun(runs.isEmpty ? "no run is recorded in \(directory)"
                                          : "only dry runs are recorded in \(directory); 'last' names the newest run that was not one (give a run id)")
            }
            return r
        }
        if ref.contains("/") || ref.hasPrefix(".") {
            // A record folder given by path: copied from another checkout, or downloaded as a CI artifact.
            guard FileManager.default.fileExists(atPath: "\(ref)/journal.jsonl") else {
                throw .noSuchRun("'\(ref)' is not a run record folder (it has no journal.jsonl) nor a run id (see stephost runs)")
            }
            return try RunJournal.read(directory: ref)
        }
        if let r = try? RunJournal.read(directory: "\(directory)/\(ref)") { return r }
        let runs = all()
        if let r = runs.first(where: { $0.id == ref }) { return r }
        let matches = runs.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw .noSuchRun("no run '\(ref)' in \(directory) (see stephost runs)") }
        throw .noSuchRun("'\(ref)' matches \(matches.count) runs: \(matches.prefix(5).map(\.id).joined(separator: ", "))")
    }

    /// `20261129T105501Z-3f2a`: the UTC start time plus 4 random hex digits.
    public static func newID(_ d: Date = Date()) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return "\(f.string(from: d))-\(String(format: "%04x", Int.random(in: 0..<0x10000)))"
    }
}
