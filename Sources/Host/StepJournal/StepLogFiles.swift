import Foundation
import StepProcess
#if canImport(Glibc)
import Glibc
#endif

/// The step logs of a run record (`logs/<step>.log`): each step's log notifications and its plugin's
/// stderr, bounded per step, written in chunks, and one descriptor per running step.
public final class StepLogFiles: @unchecked Sendable {
    let directory: String
    private let lock = NSLock()

    init(directory: String) { self.directory = directory }

    /// Bytes of log kept per step in `logs/`; past it one line says the rest was dropped.
    public static let limit = 1 << 20
    /// One step's log file: its descriptor (or -1), the bytes kept, lines not yet written, and whether the
    /// step ended (then a late line, stderr being another pipe, is written at once and the file closed again).
    private struct StepLog { var fd: Int32 = -1; var bytes = 0; var pending: [UInt8] = []; var ended = false }
    private var logs: [String: StepLog] = [:]
    /// Lines of a running step are written 32 KiB at a time, and whatever is left when it ends.
    private static let chunk = 32 << 10

    /// Appends one line to `logs/<step>.log`: the step's log notifications and its plugin's stderr.
    func append(step: String, _ line: String) {
        var text = line
        lock.lock()
        defer { lock.unlock() }
        // Taken out of the table while it changes, so its buffer is mutated alone, not copied.
        var entry = logs.removeValue(forKey: step) ?? StepLog()
        if entry.bytes > StepLogFiles.limit { logs[step] = entry; return }
        entry.bytes += text.utf8.count + 1
        if entry.bytes > StepLogFiles.limit {
            // The last line kept says so; nothing follows it.
            text = "… (log truncated at \(StepLogFiles.limit) bytes)"
            entry.bytes = StepLogFiles.limit + 1
        }
        entry.pending.append(contentsOf: text.utf8)
        entry.pending.append(0x0A)
        if entry.ended || entry.pending.count >= StepLogFiles.chunk { writeLog(step, &entry) }
        if entry.ended && entry.fd >= 0 { close(entry.fd); entry.fd = -1 }
        logs[step] = entry
    }

    /// Writes a step's pending lines, opening its file when it has none yet.
    private func writeLog(_ step: String, _ entry: inout StepLog) {
        guard !entry.pending.isEmpty else { return }
        if entry.fd < 0 {
            let dir = directory
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
    func end(step: String) {
        lock.withLock {
            var e = logs[step] ?? StepLog()
            logs[step] = nil
            writeLog(step, &e)
            if e.fd >= 0 { close(e.fd); e.fd = -1 }
            e.ended = true
            logs[step] = e
        }
    }

    /// Writes and closes every step log.
    func closeAll() {
        lock.withLock {
            for (step, var e) in logs {
                writeLog(step, &e)
                if e.fd >= 0 { close(e.fd) }
            }
            logs = [:]
        }
    }
}
