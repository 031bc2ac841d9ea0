import Foundation
import PluginKit
import StepProcess

/// Counts finished blobs across concurrent uploads and sends one `progress` notification per blob.
final class ProgressCounter: Sendable {
    private let step: StepContext
    private let total: Int
    private let done: Locked<Int>

    init(step: StepContext, total: Int, done: Int) {
        self.step = step; self.total = total; self.done = Locked(done)
    }

    func uploaded(_ blob: PushPlan.Item) {
        let n = done.increment()
        step.progress("blob \(blob.digest.prefix(19))… uploaded (\(blob.size) bytes)", completed: Double(n), total: Double(total))
    }
}
