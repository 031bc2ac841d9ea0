import Foundation

/// A value behind a lock: the one form of mutable state shared across threads in host and plugins
/// (a count a notification handler keeps, a flag a timer sets). Every access is `withLock`.
public final class Locked<Value> {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// The value now.
    public var current: Value { withLock { $0 } }
}

/// Sendable when what it holds is: the lock is what makes sharing it safe.
extension Locked: @unchecked Sendable where Value: Sendable {}

extension Locked where Value == Int {
    /// Adds one and returns the new count.
    public func increment() -> Int { withLock { $0 += 1; return $0 } }
}
