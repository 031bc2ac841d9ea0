import Foundation
import StepProcess

/// Writes to the standard streams by file descriptor (C's `stdout`/`stderr`
/// globals are not concurrency-safe in Swift 6).
enum Console {
    static func write(_ s: String, fd: Int32) {
        FileDescriptor.writeAll(fd, Array(s.utf8))
    }
    static func err(_ s: String) { write(s, fd: 2) }
    static func out(_ s: String) { write(s, fd: 1) }
}
