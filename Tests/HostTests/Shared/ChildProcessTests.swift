import Foundation
import StepProcess
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("stopping a process tree", .timeLimit(.minutes(2)))
struct ChildProcessTests {
    /// A step's command is stopped as a tree (it shares its plugin's process group). A process forked
    /// between the scan of /proc and the signal used to escape: its parent died of the signal, so it
    /// was nobody's descendant any more and the SIGKILL that follows missed it too, while it held the
    /// step's output pipe open (exec then answered `$/cancel` only when it ended).
    @Test("a tree that keeps forking is stopped whole: nothing forked while it is being stopped escapes")
    func forkingTree() async throws {
        // A sleep whose argument no other process has, so that the survivors can be counted.
        let duration = "1000.\(Int.random(in: 100_000...999_999))"
        let script = "i=0; while [ $i -lt 3000 ]; do sleep \(duration) & sleep 0.002; i=$((i+1)); done"
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"],
                                     directory: "/", newProcessGroup: true, guarded: false, onStdout: { _ in }, onStderr: { _ in })
        // Whatever escaped is still in the child's group: it goes when the test ends, whatever happened.
        defer { kill(-child.pid, SIGKILL) }
        // Stop it while it is forking (bounded: up to 1,000 looks for thirty descendants).
        var polls = 0
        while ProcessTree.descendants(of: child.pid).count < 30 && polls < 1000 {
            try await Task.sleep(for: .milliseconds(10))
            polls += 1
        }
        #expect(ProcessTree.descendants(of: child.pid).count >= 30, "the shell did not fork")
        child.signalTree(SIGTERM)
        let status = await child.waitForExit()
        #expect(status == .signaled(SIGTERM))
        // A killed sleep is a zombie until it is reaped, and a zombie has no command line: pgrep -f
        // sees only live ones. Signals take a moment to land: up to 10 s for all of them to.
        var left = ""
        for _ in 0..<100 {
            left = try await TestSupport.run(["pgrep", "-f", "sleep \(duration)"], cwd: "/").stdout
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left.isEmpty, "escaped the stop: \(left.split(separator: "\n").count) processes")
    }
}
