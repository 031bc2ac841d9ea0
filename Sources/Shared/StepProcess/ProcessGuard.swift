import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes sure nothing the host started outlives it, even when the host itself
/// is killed with SIGKILL or crashes and runs none of its own teardown.
///
/// The host starts one small guardian process (`stephost __guard`, the CLI's `Guardian`, in its own
/// process group so a signal to the host's group does not reach it) and tells
/// it, over a pipe, the pid of every plugin process it starts and reaps. The
/// pipe's write end is close-on-exec and held only by the host, so the
/// guardian reads end of file exactly when the host has gone, however it went.
/// It then stops and kills every watched process still alive (checked by start
/// time, so a reused pid is never hit), every process in their process groups
/// and sessions, and every descendant of those, and exits.
///
/// While the host lives it is also a child subreaper: a process a plugin
/// started and abandoned (a double-forked daemon that left its group and
/// session) becomes the host's child. `stopOrphans` stops such processes when
/// the host ends normally, and the guardian looks at the host's children twice
/// a second, so it knows them too if the host is killed.
public enum ProcessGuard {
    /// Guards `command`, `guardian` and `unavailable`; `managedLock` guards `managed`
    /// (starting the guardian registers it, so the two must not be one lock).
    private static let lock = NSLock()
    private static let managedLock = NSLock()
    nonisolated(unsafe) private static var command: [String]?
    nonisolated(unsafe) private static var environment: [String: String] = [:]
    nonisolated(unsafe) private static var guardian: ChildProcess?
    nonisolated(unsafe) private static var unavailable = false
    nonisolated(unsafe) private static var managed = Set<pid_t>()

    /// Arms the guard: `command` followed by the host's pid starts the guardian
    /// (the CLI's `Guardian.serve`), with `environment` as its whole environment. The guardian
    /// starts with the first watched process.
    public static func install(command: [String], environment: [String: String] = [:]) {
        lock.withLock { self.command = command + [String(getpid())]; self.environment = environment }
        _ = GlibcExtras.becomeSubreaper()
    }

    static func spawned(_ pid: pid_t, watch: Bool) {
        managedLock.withLock { _ = managed.insert(pid) }
        if watch { send("+\(pid)\n") }
    }

    static func reaped(_ pid: pid_t, watched: Bool) {
        managedLock.withLock { _ = managed.remove(pid) }
        if watched { send("-\(pid)\n") }
    }

    private static func send(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        guard let command, !unavailable else { return }
        if guardian == nil {
            do {
                guardian = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), environment: environment,
                                            directory: "/", guarded: false, onStdout: { _ in }, onStderr: { _ in })
            } catch {
                unavailable = true
                FileHandle.standardError.write(Data("stephost: warning: cannot start the process guardian (\(error)); plugins may outlive a killed host\n".utf8))
                return
            }
        }
        guardian?.write(Array(line.utf8))
    }

    /// Stops the host's children that it did not start itself: processes a
    /// plugin abandoned, which the kernel handed to the host (subreaper).
    public static func stopOrphans() {
        let me = getpid()
        let entries = ProcessTree.all()
        let known = managedLock.withLock { managed }
        let orphans = Set(entries.filter { $0.ppid == me && !known.contains($0.pid) }.map(\.pid))
        guard !orphans.isEmpty else { return }
        for p in ProcessTree.descendants(of: orphans, in: entries) + orphans { kill(p, SIGKILL) }
        var left = orphans
        for _ in 0..<100 where !left.isEmpty {
            for p in left { var st: Int32 = 0; if waitpid(p, &st, WNOHANG) != 0 { left.remove(p) } }
            if !left.isEmpty { usleep(10_000) }
        }
    }

    // MARK: - What the guardian does when the host is gone

    /// Freezes, then kills, every watched process still alive (pid → start time, so a reused pid
    /// is never hit) and everything around it: its process group, its session, their descendants.
    public static func stop(_ watched: [pid_t: UInt64]) {
        guard !watched.isEmpty else { return }
        let me = getpid()
        func targets() -> Set<pid_t> {
            let entries = ProcessTree.all()
            let roots = Set(entries.filter { watched[$0.pid] == $0.startTime }.map(\.pid))
            guard !roots.isEmpty else { return [] }
            var t = roots
            for e in entries where roots.contains(e.pgid) || roots.contains(e.sid) { t.insert(e.pid) }
            t.formUnion(ProcessTree.descendants(of: t, in: entries))
            t.remove(me)
            return t.filter { $0 > 1 }
        }
        // Stop first so nothing can fork away between the scan and the kill; then look again.
        let first = targets()
        for p in first { kill(p, SIGSTOP) }
        for p in first.union(targets()) { kill(p, SIGKILL) }
    }
}
