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
            case .interrupted(let s): return s == 2 ? "interrupted by SIGINT" : "interrupted by SIGTERM"
            case .runTimeout: return "run timed out"
            }
        }
    }

    private let lock = NSLock()
    private var reasonValue: Reason?
    private var immediateValue = false
    private var handlers: [Int: @Sendable (Bool) -> Void] = [:]
    private var next = 0

    public init() {}

    public var reason: Reason? { lock.withLock { reasonValue } }
    public var isCancelled: Bool { reason != nil }
    /// A second interrupt: skip the grace period.
    public var immediate: Bool { lock.withLock { immediateValue } }

    /// How many times the run was cancelled so far (a second interrupt escalates).
    public var epoch: Int { lock.withLock { epochValue } }
    private var epochValue = 0

    /// Registers a teardown handler for every cancellation after `since` (the
    /// `epoch` when the step started). A step that starts after the run was
    /// cancelled (its `if` asked for it) runs; a further interrupt still stops it.
    public func register(since: Int, _ h: @escaping @Sendable (Bool) -> Void) -> Int {
        lock.lock()
        let token = next
        next += 1
        handlers[token] = h
        let missed = epochValue > since
        let imm = immediateValue
        lock.unlock()
        if missed { h(imm) }
        return token
    }

    /// Waits `milliseconds`, or less if the run is cancelled after `since`.
    public func pause(milliseconds: Int, since: Int) async {
        let once = ResumeOnce()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            once.set(c)
            let token = register(since: since) { _ in once.resume() }
            once.onResume { [self] in unregister(token) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { once.resume() }
        }
    }

    public func unregister(_ token: Int) { _ = lock.withLock { handlers.removeValue(forKey: token) } }

    public func cancel(_ reason: Reason) {
        lock.lock()
        let escalate = reasonValue != nil
        if reasonValue == nil { reasonValue = reason }
        if escalate { immediateValue = true }
        epochValue += 1
        let hs = Array(handlers.values)
        let imm = immediateValue
        lock.unlock()
        for h in hs { h(imm) }
    }
}

/// Resumes a continuation exactly once, whichever event comes first.
final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var done = false
    private var cleanup: (@Sendable () -> Void)?

    func set(_ c: CheckedContinuation<Void, Never>) { lock.withLock { continuation = c } }
    func onResume(_ f: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock { if done { return true }; cleanup = f; return false }
        if runNow { f() }
    }

    func resume() {
        let (c, f): (CheckedContinuation<Void, Never>?, (@Sendable () -> Void)?) = lock.withLock {
            guard !done else { return (nil, nil) }
            done = true
            defer { continuation = nil; cleanup = nil }
            return (continuation, cleanup)
        }
        c?.resume()
        f?()
    }
}
