import Foundation
import PluginKit

/// Counts finished blobs across concurrent uploads and sends one `progress` notification per blob.
final class ProgressCounter: @unchecked Sendable {
    private let step: StepContext
    private let total: Int
    private var done: Int
    private let lock = NSLock()

    init(step: StepContext, total: Int, done: Int) {
        self.step = step; self.total = total; self.done = done
    }

    func uploaded(_ blob: PushPlan.Item) {
        let n: Int = lock.withLock { done += 1; return done }
        step.progress("blob \(blob.digest.prefix(19))… uploaded (\(blob.size) bytes)", completed: Double(n), total: Double(total))
    }
}
