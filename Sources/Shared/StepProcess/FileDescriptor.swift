#if canImport(Glibc)
import Glibc
#endif

/// Writing to a file descriptor the way every writer here needs it: all the bytes, again after EINTR.
public enum FileDescriptor {
    /// Writes every byte of `bytes`; returns 0, or the errno of the write that failed (EIO for one that wrote nothing).
    /// A descriptor left non-blocking by whoever shares it (a CI runner's pipe, say) that is full is
    /// waited on until it takes more, never dropped: a reporter's last lines must reach the log.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&p, 1, 1000)
                    continue
                }
                return errno
            }
            if n == 0 { return EIO }
            off += n
        }
        return 0
    }
}
