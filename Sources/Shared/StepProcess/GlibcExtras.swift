#if canImport(Glibc)
import Glibc

/// glibc functions that Swift's Glibc module does not import (they need
/// `_GNU_SOURCE`), looked up at run time. Both exist since glibc 2.29.
public enum GlibcExtras {
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    private static let pipe2Fn: Pipe2? = symbol("pipe2")
    private static let prctlFn: Prctl? = symbol("prctl")
    private static let addChdirFn: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(p, to: T.self)
    }

    /// Makes this process the reaper of orphaned descendants (PR_SET_CHILD_SUBREAPER):
    /// a process a plugin started and abandoned becomes the host's child, where
    /// the host can still find and stop it. False when the kernel refuses.
    public static func becomeSubreaper() -> Bool {
        guard let f = prctlFn else { return false }
        return f(36, 1, 0, 0, 0) == 0
    }

    /// A pipe whose both ends are close-on-exec, so no other child inherits them.
    static func cloexecPipe(_ fds: inout [Int32]) -> Int32 {
        if let f = pipe2Fn { return fds.withUnsafeMutableBufferPointer { f($0.baseAddress!, O_CLOEXEC) } }
        let rc = pipe(&fds)
        if rc == 0 { _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC); _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC) }
        return rc
    }

    /// Makes the spawned child start in `directory`; false when glibc cannot.
    static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ directory: String) -> Bool {
        guard let f = addChdirFn else { return false }
        return f(&actions, directory) == 0
    }
}
#endif
