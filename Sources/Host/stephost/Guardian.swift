import Foundation
import StepProcess
#if canImport(Glibc)
import Glibc
#endif

/// `stephost __guard HOST_PID`: the process guardian's main loop (see `ProcessGuard`, which
/// starts it and tells it, over its stdin, which processes to watch).
enum Guardian {
    /// A file the guardian appends a line to for each process it starts watching (`watch PID ARGV0`) and,
    /// when the host has gone, for the end (`stopped N`): to see what it knows when a process outlives a host.
    static let logVariable = "STEPHOST_GUARD_LOG"

    /// The guardian's main loop: watch what the host reports, and when its
    /// pipe ends, kill whatever is left. Never returns.
    ///
    /// `host` is the pid of the host that started it. The host's children are
    /// looked at only while the host is still this process's parent: once the
    /// host is gone, `getppid()` names some other reaper (init, or a CI runner
    /// that is a subreaper), whose children are none of the guardian's business.
    static func serve(host: pid_t) -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let me = getpid()
        var watched: [pid_t: UInt64] = [:]
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var lastScan = Date.distantPast
        let log = ProcessInfo.processInfo.environment[logVariable].map { open($0, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) } ?? -1
        func watch(_ pid: pid_t, _ start: UInt64) {
            guard watched[pid] == nil else { return }
            watched[pid] = start
            guard log >= 0 else { return }
            let argv0 = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.split(separator: "\0").first ?? "?"
            FileDescriptor.writeAll(log, Array("watch \(pid) \(argv0)\n".utf8))
        }
        while true {
            if Date().timeIntervalSince(lastScan) >= 0.5, host > 1, getppid() == host {
                lastScan = Date()
                let entries = ProcessTree.children(of: host).map { $0.compactMap(ProcessTree.entry) } ?? ProcessTree.all()
                // Read the parent again after the scan: a host that died during it may have handed its children on.
                if getppid() == host {
                    for e in entries where e.ppid == host && e.pid != me { watch(e.pid, e.startTime) }
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
                if op == "+", let e = ProcessTree.entry(pid) { watch(pid, e.startTime) }
                if op == "-" { watched[pid] = nil }
            }
        }
        ProcessGuard.stop(watched)
        if log >= 0 { FileDescriptor.writeAll(log, Array("stopped \(watched.count)\n".utf8)) }
        exit(0)
    }
}
