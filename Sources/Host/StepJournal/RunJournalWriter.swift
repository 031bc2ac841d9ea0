import Foundation
import StepManifest
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Writes a run's events into its record, `.stephost/runs/<run-id>/`: an append-only journal
/// (`journal.jsonl`, one event a line), and at the end `summary.json` and the signature; each
/// step's log lines go to `StepLogFiles`. Journal writes are batched: the
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
    /// Each step's log (`logs/<step>.log`).
    private let logs: StepLogFiles
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
        logs = StepLogFiles(directory: "\(directory)/logs")
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .io(path: directory, reason: "cannot create the run record: \(error.localizedDescription)")
        }
        fd = open("\(directory)/journal.jsonl", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(path: "\(directory)/journal.jsonl", reason: "cannot be written: \(String(cString: strerror(errno)))") }
    }

    deinit {
        if fd >= 0 { writePending(); close(fd) }
        logs.closeAll()
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
        case .log(let step, let level, let message, _, _): logs.append(step: step, level == .info ? message : "\(level.rawValue): \(message)")
        case .stderr(let step, let line): logs.append(step: step, "stderr: \(line)")
        case .stepFinished(let f): logs.end(step: f.outcome.id)
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
        flush()
        logs.closeAll()
        if let secret = signingSecret, !secret.isEmpty, !RecordSignature.sign(directory, secret: secret) {
            problems.append("could not write \(directory)/\(RecordSignature.file)")
        }
        return problems
    }

    /// Writes `summary.json` atomically; false when it could not.
    public func writeSummary(_ summary: RunSummary) -> Bool {
        let tmp = "\(directory)/summary.json.tmp"
        let out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { return false }
        var ok = true
        summary.writePrettyJSON { if ok && FileDescriptor.writeAll(out, $0) != 0 { ok = false } }
        guard close(out) == 0, ok else { unlink(tmp); return false }
        return rename(tmp, "\(directory)/summary.json") == 0
    }
}
