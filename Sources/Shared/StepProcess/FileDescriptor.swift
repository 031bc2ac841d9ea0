#if canImport(Glibc)
import Glibc
#endif

/// Writing to a file descriptor the way every writer here needs it: all the bytes, again after EINTR.
public enum FileDescriptor {
    /// Writes every byte of `bytes`; returns 0, or the errno of the write that failed (EIO for one that wrote nothing).
    /// With `retryEAGAIN`, a non-blocking descriptor that is full is tried again.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], retryEAGAIN: Bool = false) -> Int32 {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR || (retryEAGAIN && errno == EAGAIN) { continue }
                return errno
            }
            if n == 0 { return EIO }
            off += n
        }
        return 0
    }
}
