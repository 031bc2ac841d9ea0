import Foundation
import StepJournal
import StepProtocol

/// What each step printed (its log lines and its plugin's stderr), kept for the reports that
/// show it after the fact: a failed step's last lines, the step summary, JUnit's system-out.
/// Bounded per step: the last `keepLines` lines and `keepBytes` bytes.
public final class StepTranscripts: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String: Kept] = [:]
    let keepLines: Int
    let keepBytes: Int

    public init(keepLines: Int = 200, keepBytes: Int = 64 << 10) {
        self.keepLines = keepLines
        self.keepBytes = keepBytes
    }

    public func report(_ event: RunEvent) {
        switch event {
        case .log(let step, let level, let message, _, _):
            add(step, EventLines.split(message).map { level == .info ? $0 : "\(level.rawValue): \($0)" })
        case .stderr(let step, let line):
            add(step, EventLines.split(line))
        default: break
        }
    }

    private func add(_ step: String, _ new: [String]) {
        lock.withLock {
            let k = kept[step] ?? { let k = Kept(); kept[step] = k; return k }()
            for x in new { k.append(x) }
            k.trim(lines: keepLines, bytes: keepBytes)
        }
    }

    /// The step's last `n` lines.
    public func lastLines(_ step: String, _ n: Int) -> [String] { lock.withLock { Array((kept[step]?.lines ?? []).suffix(n)) } }

    /// All the step's kept lines (at most `keepBytes`).
    public func text(_ step: String) -> String { lock.withLock { (kept[step]?.lines ?? []).joined(separator: "\n") } }

    /// One step's lines, appended in place (a line at a time, for a log of a million lines) and
    /// dropped from the front by moving a start index, compacted now and then.
    private final class Kept {
        private var all: [String] = []
        private var start = 0
        private var bytes = 0
        var lines: ArraySlice<String> { all[start...] }
        func append(_ line: String) { all.append(line); bytes += line.utf8.count + 1 }
        func trim(lines keepLines: Int, bytes keepBytes: Int) {
            while all.count - start > keepLines || (bytes > keepBytes && all.count - start > 1) {
                bytes -= all[start].utf8.count + 1
                start += 1
            }
            if start > 1024 && start * 2 > all.count { all.removeFirst(start); start = 0 }
        }
    }
}
