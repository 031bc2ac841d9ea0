import Foundation
import StepJournal
import StepManifest
import StepProcess
import StepProtocol

/// `--progress tty`: a live view for a person at a terminal. Finished steps scroll above as
/// one line each; below them one line per running step with a spinner, its elapsed time and
/// its latest progress or log line, redrawn at most 10 times a second and never taller than
/// the terminal (`+N more running`). A failed step's last lines are printed when it ends.
public final class LiveReporter: RunReporter, @unchecked Sendable {
    private struct Running {
        var uses: String
        var started: Date
        var attempt: Int
        var of: Int
        var latest: String = ""
        var fraction: Double?
    }

    private let lock = NSLock()
    private let fd: Int32
    private let color: Bool
    private let verbose: Bool
    private let transcripts: StepTranscripts
    private var running: [String: Running] = [:]
    private var order: [String] = []
    /// Lines to print above the live area at the next draw.
    private var pending: [String] = []
    /// How many lines the live area took when it was last drawn.
    private var drawn = 0
    private var frame = 0
    private var dirty = false
    private var timer: DispatchSourceTimer?
    private static let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    public init(fd: Int32, color: Bool, verbose: Bool, transcripts: StepTranscripts) {
        self.fd = fd
        self.color = color
        self.verbose = verbose
        self.transcripts = transcripts
        let t = DispatchSource.makeTimerSource(queue: .global())
        t.schedule(deadline: .now() + 0.1, repeating: 0.1)
        t.setEventHandler { [weak self] in self?.tick() }
        t.resume()
        timer = t
    }

    deinit { timer?.cancel() }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func icon(_ r: StepOutcome) -> String {
        switch r.statusName {
        case "success": return paint("✓", "32")
        case "would-run": return paint("○", "36")
        case "failure": return r.continuedOnError ? paint("!", "33") : paint("✗", "31")
        case "cancelled": return paint("■", "31")
        default: return paint("-", "2")
        }
    }

    /// The terminal's size, or 80×24 when it does not say.
    private func size() -> (rows: Int, cols: Int) {
        var w = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &w) == 0, w.ws_row > 0, w.ws_col > 0 { return (Int(w.ws_row), Int(w.ws_col)) }
        return (24, 80)
    }

    /// Cuts a line to the terminal's width (by characters; wide characters may still wrap).
    private func fit(_ s: String, _ cols: Int) -> String { s.count <= cols ? s : String(s.prefix(max(cols - 1, 1))) + "…" }

    /// At most 10 redraws a second, whatever the rate of events.
    private func tick() { lock.withLock { frame += 1; if dirty || !order.isEmpty { draw() } } }

    /// Redraws: erases the live area, prints what scrolled, then the running steps again.
    private func draw() {
        let (rows, cols) = size()
        var out = ""
        if drawn > 0 { out += "\r\u{1B}[\(drawn)A\u{1B}[J" } else { out += "\r\u{1B}[J" }
        for l in pending { out += l + "\n" }  // lines that scroll may wrap; only the live area must fit
        pending = []
        let room = max(rows - 2, 1)
        var live: [String] = []
        let now = Date()
        for step in order {
            guard let r = running[step] else { continue }
            let elapsed = formatDuration(Int(now.timeIntervalSince(r.started) * 1000))
            // Cut to the width before colouring, so escape codes do not count as characters.
            var line = "\(step) (\(r.uses)) \(elapsed)"
            if r.of > 1 { line += " attempt \(r.attempt)/\(r.of)" }
            if let f = r.fraction { line += " " + bar(f) }
            if !r.latest.isEmpty { line += "  " + r.latest }
            live.append(paint(LiveReporter.spinner[frame % LiveReporter.spinner.count], "36") + " " + fit(line, cols - 2))
        }
        if live.count > room { live = Array(live.prefix(room - 1)) + ["+\(order.count - room + 1) more running"] }
        for l in live { out += l + "\n" }
        drawn = live.count
        dirty = false
        FileDescriptor.writeAll(fd, Array(out.utf8))
    }

    private func bar(_ f: Double) -> String {
        let width = 12, done = Int((min(max(f, 0), 1) * Double(width)).rounded())
        return "[" + String(repeating: "█", count: done) + String(repeating: "·", count: width - done) + "] \(Int(f * 100))%"
    }

    public func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .attempt(let step, let attempt, let of, let uses):
            if running[step] == nil { order.append(step) }
            running[step] = Running(uses: uses, started: running[step]?.started ?? Date(), attempt: attempt, of: of)
        case .log(let step, let level, let message, _, _):
            if level != .debug || verbose, let last = EventLines.split(message).last(where: { !$0.isEmpty }) { running[step]?.latest = last }
            if level == .error || level == .warning { pending += EventLines.split(message).map { "\(paint(step, "1")) \(level.rawValue): \($0)" } }
        case .progress(let step, let message, let completed, let total):
            if let m = message, let last = EventLines.split(m).last { running[step]?.latest = last }
            if let c = completed, let t = total, t > 0 { running[step]?.fraction = c / t }
        case .retrying(let step, let attempt, let of, let delay, let error):
            pending.append("\(paint("↻", "33")) \(step) failed: \(EventLines.split(error).first ?? ""); retrying (attempt \(attempt)/\(of)) in \(formatDuration(delay))")
        case .stepFinished(let f):
            let r = f.outcome
            running[r.id] = nil
            order.removeAll { $0 == r.id }
            var line = "\(icon(r)) \(r.id) \(paint("(\(r.uses))", "2")) \(r.statusText)"
            if r.status != .skipped { line += " \(formatDuration(r.durationMs))" }
            if r.attempts > 1 { line += " after \(r.attempts) attempts" }
            pending.append(line)
            if r.status == .failure && !r.continuedOnError {
                if let e = r.error { pending += EventLines.split(e).map { "    error: \($0)" } }
                for h in r.shownHints { pending += EventLines.split(h).map { "    hint: \($0)" } }
                let last = transcripts.lastLines(r.id, 10)
                pending += (last.isEmpty ? Array(r.stderrTail.suffix(10)) : last).map { "    " + paint("│ ", "2") + $0 }
            }
        case .runStarted, .workflowSkipped, .warning, .inputs:
            if let (_, lines) = EventLines.lines(event, verbose: verbose) { pending += lines.map(\.text) }
        case .runFinished(let f):
            guard let summary = f.summary else { return }
            timer?.cancel()
            pending += EventLines.table(summary)
            order = []
            draw()
            return
        case .stepStarted, .stderr, .mask:
            return
        }
        dirty = true
    }
}
