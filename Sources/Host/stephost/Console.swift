import Foundation

/// Writes to the standard streams by file descriptor (C's `stdout`/`stderr`
/// globals are not concurrency-safe in Swift 6).
enum Console {
    static func write(_ s: String, fd: Int32) {
        var bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
    static func err(_ s: String) { write(s, fd: 2) }
    static func out(_ s: String) { write(s, fd: 1) }
}
