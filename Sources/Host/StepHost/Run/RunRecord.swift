import StepProcess
import Foundation
import StepMask
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `.stephost/runs/<run-id>/`: an append-only journal (`journal.jsonl`, one
/// event a line) and `summary.json`. Writes are batched: the scheduler syncs
/// before it starts a step whose needs ended since the last sync, so a step's
/// success is always on disk before anything that needs it starts.
///
/// Each run has its own directory (the run id has random digits), so two
/// runs in one workspace never write the same files. Every line is masked.
///
/// The journal and `--events` are one vocabulary written in one place: each
/// event is `{"v": 1, "seq": N, "time": RFC3339, "type": TYPE, ...fields}`;
/// the events stream gets every event (`seq` without gaps), the journal all
/// but `log` and `progress`.
public final class RunRecord: @unchecked Sendable {
    public let directory: String
    private let masker: Masker
    private let lock = NSLock()
    private var fd: Int32 = -1
    /// The `--events` stream, when one was asked for.
    private var eventsFD: Int32 = -1
    private var seq = 0

    /// The version of the event vocabulary (`v` in every event).
    public static let eventVersion = 1
    /// Event types the journal leaves out (they are in `--events` and the step logs).
    public static let streamOnly: Set<String> = ["log", "progress"]
    /// Every event type, in the order a run produces them.
    public static let eventTypes = ["run-started", "step-started", "attempt", "log", "progress", "step-finished", "run-finished"]

    public init(workspace: String, runID: String, masker: Masker) throws(RunError) {
        directory = "\(workspace)/.stephost/runs/\(runID)"
        self.masker = masker
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .usage("cannot create the run record \(directory): \(error.localizedDescription)")
        }
        fd = open("\(directory)/journal.jsonl", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw .usage("cannot write \(directory)/journal.jsonl: \(String(cString: strerror(errno)))") }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Forces everything appended so far to disk.
    public func sync() { lock.withLock { _ = fsync(fd) } }

    /// Sends every event also to `fd` (the `--events` stream), each line written as it happens.
    public func streamEvents(to fd: Int32) { lock.withLock { eventsFD = fd; streaming = true } }

    /// Whether an events stream takes the events the journal leaves out (else they need not be built).
    public private(set) var streaming = false

    /// Appends one event of the run's vocabulary; `sync` forces the journal to disk before returning.
    public func append(_ type: String, _ fields: [String: JSONValue], sync: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let journal = !RunRecord.streamOnly.contains(type)
        guard journal || eventsFD >= 0 else { return }
        seq += 1
        var o = fields
        o["v"] = .int(RunRecord.eventVersion)
        o["seq"] = .int(seq)
        o["type"] = .string(type)
        o["time"] = .string(RunRecord.timestamp(Date()))
        let line = Array((masker.mask(JSONValue.object(o).encoded()) + "\n").utf8)
        if eventsFD >= 0 { FileDescriptor.writeAll(eventsFD, line) }
        guard journal, FileDescriptor.writeAll(fd, line) == 0 else { return }
        if sync { fsync(fd) }
    }

    /// Bytes of log kept per step in `logs/`; past it one line says the rest was dropped.
    public static let stepLogLimit = 1 << 20
    /// Per step: its open log file (or -1), the bytes written, and whether the step ended
    /// (then a late line, stderr being another pipe, is appended and the file closed again).
    private var logs: [String: (fd: Int32, bytes: Int, ended: Bool)] = [:]

    /// Appends one masked line to `logs/<step>.log`: the step's log notifications and its plugin's stderr.
    public func log(step: String, _ line: String) {
        lock.lock()
        defer { lock.unlock() }
        var entry = logs[step] ?? (fd: -1, bytes: 0, ended: false)
        guard entry.bytes <= RunRecord.stepLogLimit else { return }
        if entry.fd < 0 {
            let dir = "\(directory)/logs"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let name = step.replacingOccurrences(of: "/", with: "_")
            entry.fd = open("\(dir)/\(name).log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if entry.fd < 0 { return }
        }
        var text = masker.mask(line) + "\n"
        if entry.bytes + text.utf8.count > RunRecord.stepLogLimit { text = "… (log truncated at \(RunRecord.stepLogLimit) bytes)\n" }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(entry.fd, $0.baseAddress, $0.count) }
        entry.bytes += bytes.count
        if entry.bytes > RunRecord.stepLogLimit { entry.bytes = RunRecord.stepLogLimit + 1 }
        if entry.ended { close(entry.fd); entry.fd = -1 }
        logs[step] = entry
    }

    /// Closes one step's log when the step ends (a late stderr line opens it again), so a
    /// run of many steps holds one descriptor per running step, not one per step.
    public func closeLog(step: String) {
        lock.withLock {
            var e = logs[step] ?? (fd: -1, bytes: 0, ended: false)
            if e.fd >= 0 { close(e.fd); e.fd = -1 }
            e.ended = true
            logs[step] = e
        }
    }

    /// Closes the step logs.
    public func closeLogs() {
        lock.withLock {
            for (_, e) in logs where e.fd >= 0 { close(e.fd) }
            logs = [:]
        }
    }

    /// Writes `summary.json` atomically; false when it could not.
    public func writeSummary(_ summary: RunSummary) -> Bool {
        let text = masker.mask(summary.json.prettyEncoded()) + "\n"
        let tmp = "\(directory)/summary.json.tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else { return false }
        return rename(tmp, "\(directory)/summary.json") == 0
    }

    /// RFC 3339 UTC with milliseconds (`2026-11-29T10:55:01.123Z`), formatted by hand: a formatter
    /// object per event was most of the host's cost per step.
    public static func timestamp(_ d: Date) -> String {
        let ms = Int64((d.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):"
            + "\(pad(t.tm_sec, 2)).\(pad(Int32(ms % 1000), 3))Z"
    }

    public static func parseTimestamp(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s) ?? ISO8601DateFormatter().date(from: s)
    }

    /// `20261129T105501Z-3f2a`: the UTC start time plus 4 random hex digits.
    public static func newRunID(_ d: Date = Date()) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return "\(f.string(from: d))-\(String(format: "%04x", Int.random(in: 0..<0x10000)))"
    }
}
