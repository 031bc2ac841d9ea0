import Foundation
import StepJournal
import StepProcess

/// A reporter whose target is set later: plugin processes start (and write stderr) before the run's
/// journal exists, so their lines go to a stream without one until `Runner.execute` points it on.
final class ReporterRelay: RunReporter {
    private let target: Locked<RunReporter>
    init(_ target: RunReporter) { self.target = Locked(target) }
    func retarget(_ t: RunReporter) { target.withLock { $0 = t } }
    func report(_ event: RunEvent) { target.current.report(event) }
}
