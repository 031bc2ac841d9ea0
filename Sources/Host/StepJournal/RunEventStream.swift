import Foundation
import StepMask
import StepProtocol

/// Receives a run's events. The reporters write only to the descriptors or files the executable
/// hands them; no library target prints.
public protocol RunReporter: Sendable {
    func report(_ event: RunEvent)
}

/// Passes every event to each reporter in turn.
public struct ReporterGroup: RunReporter {
    public let reporters: [RunReporter]
    public init(_ reporters: [RunReporter]) { self.reporters = reporters }
    public func report(_ event: RunEvent) { for r in reporters { r.report(event) } }
}

/// A run's events on their one way out: masked once (`RunEvent.masked(by:)`), written to the run's
/// journal and `--events` when there is one, then handed to the reporters. Everything in a run that
/// says something (the scheduler, the executor, a plugin's notifications, the runner) reports to it.
public final class RunEventStream: RunReporter {
    let masker: Masker
    let journal: RunJournalWriter?
    let next: RunReporter

    public init(masker: Masker, journal: RunJournalWriter?, next: RunReporter) {
        self.masker = masker; self.journal = journal; self.next = next
    }

    public func report(_ event: RunEvent) { send(event, sync: false) }

    /// `sync` forces the journal to disk before the reporters see the event. What the journal could
    /// not write (its summary, a step log) reaches the reporters as a warning, before the event.
    public func send(_ event: RunEvent, sync: Bool) {
        let masked = event.masked(by: masker)
        if let journal {
            for problem in journal.write(masked, sync: sync) { next.report(RunEvent.warning(problem).masked(by: masker)) }
        }
        next.report(masked)
    }

    /// Forces the journal to disk (before a step starts that needs steps whose ends are not yet there).
    public func sync() { journal?.sync() }
    /// Writes what the journal has pending, before the scheduler waits.
    public func flush() { journal?.flush() }
}
