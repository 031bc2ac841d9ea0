import Foundation
import StepManifest
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `.stephost/runs/<run-id>/`: an append-only journal (`journal.jsonl`, one
/// event a line), each step's log (`logs/<step>.log`) and `summary.json`. Writes are batched: the
/// scheduler syncs before it starts a step whose needs ended since the last sync, so a step's
/// success is always on disk before anything that needs it starts.
///
/// Each run has its own directory (the run id has random digits), so two
/// runs in one workspace never write the same files. It writes the events it is given as they
/// are: `RunEventStream` masked them.
///
/// The journal and `--events` are one vocabulary written in one place: each
/// event is `{"v": 1, "seq": N, "time": RFC3339, "type": TYPE, ...fields}`;
/// the events stream gets every event that has a type (`seq` without gaps), the journal all
/// but `log` and `progress`.
public final class RunJournalWriter: @unchecked Sendable {
    public let directory: String
    /// With `STEPHOST_RECORD_SECRET`: the record is signed when the run ends (`record.hmac`).
    private let signingSecret: String?
    private let lock = NSLock()
    private var fd: Int32 = -1
    /// The `--events` stream, when one was asked for.
    private var eventsFD: Int32 = -1
    private var seq = 0

    /// The version of the event vocabulary (`v` in every event).
    public static let eventVersion = 1

    public init(workspace: String, runID: String, signingSecret: String? = nil) throws(JournalError) {
        directory = "\(workspace)/.stephost/runs/\(runID)"
        self.signingSecret = signingSecret
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .io(path: directory, reason: "cannot create the run record: \(error.localizedDescription)")
        }
        fd = open("\(directory)/journal.jsonl", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(path: "\(directory)/journal.jsonl", reason: "cannot be written: \(String(cString: strerror(errno)))") }
    }

    deinit {
        if fd >= 0 { writePending(); close(fd) }
    }

    /// Journal lines appended but not yet written: written together when a step is about to need them,
    /// when the scheduler waits (`flush`), at 64 KiB, and forced to disk by `sync`.
    private var pending: [UInt8] = []
    private static let pendingLimit = 64 << 10

    /// Forces everything appended so far to disk.
    public func sync() { lock.withLock { writePending(); _ = fsync(fd) } }

    /// Writes what is pending (without forcing it to disk): the scheduler calls it before it waits, so that
    /// a host killed while steps run has every event up to then in the file.
    public func flush() { lock.withLock { writePending() } }

    private func writePending() {
        guard !pending.isEmpty else { return }
        FileDescriptor.writeAll(fd, pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Sends every event also to `fd` (the `--events` stream), each line written as it happens.
    public func streamEvents(to fd: Int32) { lock.withLock { eventsFD = fd } }

    /// Writes one event where it goes: a typed one as a line (to `--events`, and unless it is `log` or
    /// `progress` to the journal; `sync` forces the journal to disk before returning), a step's log
    /// and stderr lines to its log file. `run-finished` with a summary also writes `summary.json`,
    /// closes the step logs and signs the record. Returns what could not be written.
    @discardableResult
    public func write(_ event: RunEvent, sync: Bool = false) -> [String] {
        switch event {
        case .log(let step, let level, let message, _, _): log(step: step, level == .info ? message : "\(level.rawValue): \(message)")
        case .stderr(let step, let line): log(step: step, "stderr: \(line)")
        case .stepFinished(let f): closeLog(step: f.outcome.id)
        default: break
        }
        guard let type = event.type else { return [] }
        let journal = !RunEvent.streamOnly.contains(type)
        guard journal || lock.withLock({ eventsFD >= 0 }) else { return [] }
        appendLine(type: type, fields: event.fields, journal: journal, sync: sync)
        guard case .runFinished(let f) = event, let summary = f.summary else { return [] }
        return finish(summary)
    }

    /// One event line: its fields are encoded before the lock is taken; under it, only the sequence
    /// number, the line's head and the writes.
    private func appendLine(type: String, fields: [String: JSONValue], journal: Bool, sync: Bool) {
        var body: [UInt8] = []
        if !fields.isEmpty { JSONValue.object(fields).write(to: &body) }
        let time = Timestamp.rfc3339(Date())
        var line: [UInt8] = []
        line.reserveCapacity(body.count + type.utf8.count + 80)
        line.append(contentsOf: #"{"v":\#(RunJournalWriter.eventVersion),"seq":"#.utf8)
        let seqAt = line.count
        line.append(contentsOf: #","time":""#.utf8)
        line.append(contentsOf: time.utf8)
        line.append(contentsOf: #"","type":""#.utf8)
        line.append(contentsOf: type.utf8)
        line.append(UInt8(ascii: "\""))
        if body.isEmpty { line.append(UInt8(ascii: "}")) } else {
            line.append(UInt8(ascii: ","))
            line.append(contentsOf: body.dropFirst())
        }
        line.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        seq += 1
        line.insert(contentsOf: String(seq).utf8, at: seqAt)
        if eventsFD >= 0 { FileDescriptor.writeAll(eventsFD, line) }
        guard journal else { return }
        pending += line
        if sync {
            writePending()
            fsync(fd)
        } else if pending.count >= RunJournalWriter.pendingLimit {
            writePending()
        }
    }

    /// The record's end: `summary.json`, the step logs written and closed, and the signature.
    private func finish(_ summary: RunSummary) -> [String] {
        var problems: [String] = []
        if !writeSummary(summary) { problems.append("could not write \(directory)/summary.json") }
        closeLogs()
        if let secret = signingSecret, !secret.isEmpty, !RecordSignature.sign(directory, secret: secret) {
            problems.append("could not write \(directory)/\(RecordSignature.file)")
        }
        return problems
    }

    /// Bytes of log kept per step in `logs/`; past it one line says the rest was dropped.
    public static let stepLogLimit = 1 << 20
    /// One step's log file: its descriptor (or -1), the bytes kept, lines not yet written, and whether the
    /// step ended (then a late line, stderr being another pipe, is written at once and the file closed again).
    private struct StepLog { var fd: Int32 = -1; var bytes = 0; var pending: [UInt8] = []; var ended = false }
    private var logs: [String: StepLog] = [:]
    /// Lines of a running step are written 32 KiB at a time, and whatever is left when it ends.
    private static let logChunk = 32 << 10

    /// Appends one line to `logs/<step>.log`: the step's log notifications and its plugin's stderr.
    private func log(step: String, _ line: String) {
        var text = line
        lock.lock()
        defer { lock.unlock() }
        // Taken out of the table while it changes, so its buffer is mutated alone, not copied.
        var entry = logs.removeValue(forKey: step) ?? StepLog()
        if entry.bytes > RunJournalWriter.stepLogLimit { logs[step] = entry; return }
        entry.bytes += text.utf8.count + 1
        if entry.bytes > RunJournalWriter.stepLogLimit {
            // The last line kept says so; nothing follows it.
            text = "… (log truncated at \(RunJournalWriter.stepLogLimit) bytes)"
            entry.bytes = RunJournalWriter.stepLogLimit + 1
        }
        entry.pending.append(contentsOf: text.utf8)
        entry.pending.append(0x0A)
        if entry.ended || entry.pending.count >= RunJournalWriter.logChunk { writeLog(step, &entry) }
        if entry.ended && entry.fd >= 0 { close(entry.fd); entry.fd = -1 }
        logs[step] = entry
    }

    /// Writes a step's pending lines, opening its file when it has none yet.
    private func writeLog(_ step: String, _ entry: inout StepLog) {
        guard !entry.pending.isEmpty else { return }
        if entry.fd < 0 {
            let dir = "\(directory)/logs"
            if mkdir(dir, 0o755) != 0 && errno != EEXIST { entry.pending = []; return }
            let name = step.replacingOccurrences(of: "/", with: "_")
            entry.fd = open("\(dir)/\(name).log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if entry.fd < 0 { entry.pending = []; return }
        }
        FileDescriptor.writeAll(entry.fd, entry.pending)
        entry.pending.removeAll(keepingCapacity: !entry.ended)
    }

    /// Writes and closes one step's log when the step ends (a late stderr line opens it again), so a
    /// run of many steps holds one descriptor per running step, not one per step.
    private func closeLog(step: String) {
        lock.withLock {
            var e = logs[step] ?? StepLog()
            logs[step] = nil
            writeLog(step, &e)
            if e.fd >= 0 { close(e.fd); e.fd = -1 }
            e.ended = true
            logs[step] = e
        }
    }

    /// Writes and closes the step logs (and writes what the journal has pending).
    public func closeLogs() {
        lock.withLock {
            writePending()
            for (step, var e) in logs {
                writeLog(step, &e)
                if e.fd >= 0 { close(e.fd) }
            }
            logs = [:]
        }
    }

    /// Writes `summary.json` atomically; false when it could not.
    public func writeSummary(_ summary: RunSummary) -> Bool {
        let text = summary.json.prettyEncoded() + "\n"
        let tmp = "\(directory)/summary.json.tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else { return false }
        return rename(tmp, "\(directory)/summary.json") == 0
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
