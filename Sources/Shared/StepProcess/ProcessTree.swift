import Foundation

/// Finds processes and their relations through `/proc` (Linux).
public enum ProcessTree {
    /// One process as `/proc/PID/stat` shows it.
    public struct Entry: Sendable, Hashable {
        public var pid: pid_t
        public var ppid: pid_t
        public var pgid: pid_t
        public var sid: pid_t
        /// Clock ticks after boot: with the pid, identifies a process even if the pid is reused.
        public var startTime: UInt64
    }

    public static func entry(_ pid: pid_t) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let f = stat[stat.index(after: close)...].split(separator: " ")
        guard f.count > 19, let ppid = pid_t(f[1]), let pgid = pid_t(f[2]), let sid = pid_t(f[3]), let start = UInt64(f[19]) else { return nil }
        return Entry(pid: pid, ppid: ppid, pgid: pgid, sid: sid, startTime: start)
    }

    /// Every process that can be read now.
    public static func all() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { pid_t($0).flatMap(entry) }
    }

    /// The direct children of `pid` from `/proc/PID/task/*/children` (cheap: no scan
    /// of every process); nil when the kernel does not provide those files.
    public static func children(of pid: pid_t) -> [pid_t]? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"),
              FileManager.default.fileExists(atPath: "/proc/\(pid)/task/\(tasks.first ?? "")/children") else { return nil }
        var out: [pid_t] = []
        for t in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/children", encoding: .utf8) else { continue }
            out += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return out
    }

    /// Every live process whose chain of parents leads to `root`.
    public static func descendants(of root: pid_t) -> [pid_t] {
        descendants(of: [root], in: all())
    }

    /// Every process in `entries` whose chain of parents leads to one of `roots`.
    public static func descendants(of roots: Set<pid_t>, in entries: [Entry]) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for e in entries { children[e.ppid, default: []].append(e.pid) }
        var out: [pid_t] = []
        var seen = roots
        var stack = roots.flatMap { children[$0] ?? [] }
        while let p = stack.popLast() {
            guard seen.insert(p).inserted else { continue }
            out.append(p)
            stack.append(contentsOf: children[p] ?? [])
        }
        return out
    }
}
