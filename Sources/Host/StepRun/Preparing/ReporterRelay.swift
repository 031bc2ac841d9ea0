import Foundation
import StepJournal

/// A reporter whose target is set later: plugin processes start (and write stderr) before the run's
/// journal exists, so their lines go to a stream without one until `Runner.execute` points it on.
final class ReporterRelay: RunReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var target: RunReporter
    init(_ target: RunReporter) { self.target = target }
    func retarget(_ t: RunReporter) { lock.withLock { target = t } }
    func report(_ event: RunEvent) { lock.withLock { target }.report(event) }
}
