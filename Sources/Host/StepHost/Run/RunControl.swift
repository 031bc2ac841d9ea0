import StepProcess
import Foundation

/// Run-wide cancellation: fail-fast, SIGINT/SIGTERM, or the run's `--timeout`.
/// Running steps register a handler that starts their teardown.
public final class RunControl: @unchecked Sendable {
    public enum Reason: Sendable, Equatable {
        case failFast
        case interrupted(signal: Int32)
        case runTimeout
        public var text: String {
            switch self {
            case .failFast: return "fail-fast"
            case .interrupted(let s): return s == 2 ? "interrupted (SIGINT)" : "interrupted (SIGTERM)"
            case .runTimeout: return "run timed out"
            }
        }
    }

    private let lock = NSLock()
    private var reasonValue: Reason?
    private var immediateValue = false
    private var handlers: [Int: @Sendable (Bool) -> Void] = [:]
    private var next = 0
    private var wakeups: [@Sendable () -> Void] = []

    public init() {}

    public var reason: Reason? { lock.withLock { reasonValue } }
    public var isCancelled: Bool { reason != nil }
    /// A second interrupt: skip the grace period.
    public var immediate: Bool { lock.withLock { immediateValue } }

    /// Registers a teardown handler; it runs at once if the run is already cancelled.
    public func register(_ h: @escaping @Sendable (Bool) -> Void) -> Int {
        lock.lock()
        let token = next
        next += 1
        handlers[token] = h
        let cancelled = reasonValue != nil
        let imm = immediateValue
        lock.unlock()
        if cancelled { h(imm) }
        return token
    }

    public func unregister(_ token: Int) { _ = lock.withLock { handlers.removeValue(forKey: token) } }

    /// Called when the scheduler should look again (cancellation wakes a waiting loop).
    func onWake(_ f: @escaping @Sendable () -> Void) { lock.withLock { wakeups.append(f) } }

    public func cancel(_ reason: Reason) {
        lock.lock()
        let escalate = reasonValue != nil
        if reasonValue == nil { reasonValue = reason }
        if escalate { immediateValue = true }
        let hs = Array(handlers.values)
        let imm = immediateValue
        let ws = wakeups
        lock.unlock()
        for h in hs { h(imm) }
        for w in ws { w() }
    }
}
