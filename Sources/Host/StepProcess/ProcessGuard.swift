import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes sure nothing the host started outlives it, even when the host itself
/// is killed with SIGKILL or crashes and runs none of its own teardown.
///
/// The host starts one small guardian process (`stephost __guard`, in its own
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
    nonisolated(unsafe) private static var guardian: ChildProcess?
    nonisolated(unsafe) private static var unavailable = false
    nonisolated(unsafe) private static var managed = Set<pid_t>()

    /// Arms the guard: `command` followed by the host's pid starts the guardian
    /// (which calls `serve(host:)`). The guardian starts with the first watched process.
    public static func install(command: [String]) {
        lock.withLock { self.command = command + [String(getpid())] }
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
                guardian = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), environment: [:],
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

    // MARK: - The guardian process

    /// The guardian's main loop: watch what the host reports, and when its
    /// pipe ends, kill whatever is left. Never returns.
    ///
    /// `host` is the pid of the host that started it. The host's children are
    /// looked at only while the host is still this process's parent: once the
    /// host is gone, `getppid()` names some other reaper (init, or a CI runner
    /// that is a subreaper), whose children are none of the guardian's business.
    public static func serve(host: pid_t) -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let me = getpid()
        var watched: [pid_t: UInt64] = [:]
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var lastScan = Date.distantPast
        while true {
            if Date().timeIntervalSince(lastScan) >= 0.5, host > 1, getppid() == host {
                lastScan = Date()
                let entries = ProcessTree.children(of: host).map { $0.compactMap(ProcessTree.entry) } ?? ProcessTree.all()
                // Read the parent again after the scan: a host that died during it may have handed its children on.
                if getppid() == host {
                    for e in entries where e.ppid == host && e.pid != me && watched[e.pid] == nil { watched[e.pid] = e.startTime }
                }
            }
            var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&fds, 1, 500)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let n = read(0, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buf[0..<n]
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeFirst(nl + 1)
                guard let op = line.first, let pid = pid_t(line.dropFirst()) else { continue }
                if op == "+", let e = ProcessTree.entry(pid) { watched[pid] = e.startTime }
                if op == "-" { watched[pid] = nil }
            }
        }
        stop(watched)
        exit(0)
    }

    /// Freezes, then kills, every watched process still alive and everything around it.
    static func stop(_ watched: [pid_t: UInt64]) {
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
