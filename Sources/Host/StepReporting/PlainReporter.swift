import Foundation
import StepJournal
import StepProcess
import StepProtocol

/// `--progress plain`: one line per event, prefixed `[step]`, then a table of steps.
/// A step silent for `heartbeat` seconds gets `[step] still running (5m0s)`, so a log
/// watcher sees life. `--quiet` keeps only failed steps and the table.
public final class PlainReporter: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private let verbose: Bool
    private let quiet: Bool
    private let transcripts: StepTranscripts
    /// Per running step: when it started and when it last printed.
    private var running: [String: (started: Date, lastLine: Date)] = [:]
    private var timer: DispatchSourceTimer?

    public init(fd: Int32, verbose: Bool, quiet: Bool, heartbeat: Double, transcripts: StepTranscripts) {
        self.fd = fd
        self.verbose = verbose
        self.quiet = quiet
        self.transcripts = transcripts
        if !quiet && heartbeat > 0 {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + min(heartbeat, 1), repeating: min(heartbeat, 1))
            t.setEventHandler { [weak self] in self?.beat(every: heartbeat) }
            t.resume()
            timer = t
        }
    }

    deinit { timer?.cancel() }

    private func write(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileDescriptor.writeAll(fd, Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    private func beat(every seconds: Double) {
        let now = Date()
        lock.withLock {
            var out: [String] = []
            for (step, t) in running.sorted(by: { $0.key < $1.key }) where now.timeIntervalSince(t.lastLine) >= seconds {
                out.append("[\(step)] still running (\(formatDuration(Int(now.timeIntervalSince(t.started) * 1000))))")
                running[step]?.lastLine = now
            }
            write(out)
        }
    }

    public func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .attempt(let step, _, _, _):
            running[step] = (Date(), Date())
        case .stepFinished(let f):
            let r = f.outcome
            running[r.id] = nil
        case .runFinished(let f):
            guard let summary = f.summary else { return }
            timer?.cancel()
            write(EventLines.table(summary))
            return
        case .log, .progress, .stderr, .inputs:
            // Quiet shows no step output as it comes (the log of a failed step is shown at its end).
            if quiet { return }
        default: break
        }
        guard let (step, lines) = EventLines.lines(event, verbose: verbose) else { return }
        if quiet {
            // Only a failed step's outcome, with its last lines, and the run's warnings.
            if case .stepFinished(let f) = event, f.outcome.status == .failure {
                let r = f.outcome
                let last = transcripts.lastLines(r.id, 20).map { "[\(r.id)]   | \($0)" }
                write(lines.map { "[\(r.id)] \($0.text)" } + (last.isEmpty ? [] : ["[\(r.id)]   last lines:"] + last))
            } else if case .warning = event {
                write(lines.map(\.text))
            }
            return
        }
        if let step { running[step]?.lastLine = Date() }
        write(lines.map { (step.map { "[\($0)] " } ?? "") + $0.text })
    }
}
