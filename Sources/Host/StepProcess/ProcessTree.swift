import Foundation

/// Finds a process's descendants through `/proc` (Linux).
public enum ProcessTree {
    /// Every live process whose chain of parents leads to `root`.
    public static func descendants(of root: pid_t) -> [pid_t] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var children: [pid_t: [pid_t]] = [:]
        for n in names {
            guard let pid = pid_t(n), let stat = try? String(contentsOfFile: "/proc/\(n)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let ppid = pid_t(fields[1]) else { continue }
            children[ppid, default: []].append(pid)
        }
        var out: [pid_t] = []
        var stack = children[root] ?? []
        while let p = stack.popLast() {
            out.append(p)
            stack.append(contentsOf: children[p] ?? [])
        }
        return out
    }
}
