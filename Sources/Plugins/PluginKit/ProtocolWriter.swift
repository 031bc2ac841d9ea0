import Foundation
import StepProcess

/// Writes the protocol stream. Notifications are queued whole and written by a thread of its
/// own, whatever has gathered in one `write`: a burst of `log` lines costs a few system calls
/// instead of one per line, and wakes the host once per burst. An answer is written at once by
/// the thread that sends it, with whatever is queued before it, unless a write is under way
/// (then it follows that write). Order is kept; a line is never split. A sender waits while
/// 1 MiB is queued (the host reads slower than the step logs), so memory stays bounded.
final class ProtocolWriter: @unchecked Sendable {
    static let limit = 1 << 20

    private let fd: Int32
    private let state = NSCondition()
    private var queued: [UInt8] = []
    /// A thread is writing what it took from `queued`; the next write waits for it.
    private var writing = false

    init(fd: Int32) {
        self.fd = fd
        let thread = Thread { [self] in loop() }
        thread.name = "protocol-writer"
        thread.start()
    }

    /// Queues `line`; with `now`, writes it (and what is queued before it) on this thread when no write is under way.
    func send(_ line: [UInt8], now: Bool) {
        state.lock()
        while queued.count >= Self.limit { state.wait() }
        queued.append(contentsOf: line)
        if now && !writing {
            var batch: [UInt8] = []
            writeQueued(&batch)
        }
        state.broadcast()
        state.unlock()
    }

    /// Returns once everything sent so far is written (before the process exits).
    func flush() {
        state.lock()
        while !queued.isEmpty || writing { state.wait() }
        state.unlock()
    }

    private func loop() {
        var batch: [UInt8] = []
        state.lock()
        while true {
            while queued.isEmpty || writing { state.wait() }
            writeQueued(&batch)
            batch.removeAll(keepingCapacity: batch.capacity <= Self.limit)
            state.broadcast()
        }
    }

    /// Writes everything queued, as the one writer; called and returns with `state` locked.
    private func writeQueued(_ batch: inout [UInt8]) {
        swap(&batch, &queued)
        writing = true
        state.broadcast()
        state.unlock()
        _ = FileDescriptor.writeAll(fd, batch)
        state.lock()
        writing = false
    }
}
