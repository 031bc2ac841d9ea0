import Foundation
import StepProcess
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("writing all of it", .timeLimit(.minutes(1)))
struct FileDescriptorTests {
    @Test("a non-blocking pipe that fills up is waited on, not dropped: every byte arrives, in order")
    func nonBlockingPipe() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Close-on-exec: a process another test starts meanwhile must not hold the write end open.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { close(readEnd) }
        // As a CI runner may leave a pipe it shares with us.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        // Four times a pipe's usual capacity, so the writer meets a full pipe.
        let data = (0..<(256 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let result = Task.detached { () -> Int32 in
            let r = FileDescriptor.writeAll(writeEnd, data)
            close(writeEnd)
            return r
        }
        // Read only once the pipe is full, so the writer meets a full pipe (F_GETPIPE_SZ: its capacity; FIONREAD: what it holds).
        let capacity = fcntl(readEnd, 1032)
        let full = try await TestSupport.waitUntil(10) {
            var held: Int32 = 0
            return ioctl(readEnd, UInt(FIONREAD), &held) == 0 && capacity > 0 && held >= capacity
        }
        #expect(full, "the pipe never filled (capacity \(capacity))")
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16 << 10)
        while got.count < data.count {
            let n = buf.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got.append(contentsOf: buf[0..<n])
        }
        #expect(await result.value == 0)
        let same = got == data
        #expect(same, "\(got.count) of \(data.count) bytes arrived\(got.count == data.count ? ", in another order" : "")")
    }
}
