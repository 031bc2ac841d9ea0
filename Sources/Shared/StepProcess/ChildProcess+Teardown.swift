import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a child (a plugin, a command a plugin started) is stopped: its process group or its whole
/// tree signalled, and the one timed stop sequence, SIGTERM then SIGKILL.
extension ChildProcess {
    /// Sends `sig` to the child's whole process group.
    public func signalGroup(_ sig: Int32) {
        if kill(-pid, sig) != 0 && exitStatus == nil { kill(pid, sig) }
    }

    /// Sends `sig` to the child and every process descended from it (found through /proc).
    ///
    /// The tree is frozen first (SIGSTOP, scanned again until a scan finds nothing new): a process
    /// forked between a scan and the signal would otherwise be missed, and once its parent died of
    /// the signal it is no longer anyone's descendant here, so no later signal to the tree reaches it.
    /// A stopped process cannot fork (a fork under way when SIGSTOP arrives is undone by the kernel).
    /// Once the child has been reaped its pid may be another process's, and what it left running has
    /// been handed to a reaper: there is no tree left to signal.
    public func signalTree(_ sig: Int32) {
        guard exitStatus == nil else { return }
        var frozen = Set<pid_t>()
        while true {
            let found = Set(ProcessTree.descendants(of: pid) + [pid]).subtracting(frozen)
            if found.isEmpty { break }
            for p in found { kill(p, SIGSTOP) }
            frozen.formUnion(found)
        }
        for p in frozen { kill(p, sig) }
        if sig != SIGKILL { for p in frozen { kill(p, SIGCONT) } }
    }

    /// Which processes a stop reaches: the child's process group, or the child and its descendants.
    public enum StopScope: Sendable { case group, tree }

    /// The one timed stop sequence: SIGTERM now; after `grace` seconds, SIGKILL if the child is still
    /// running (`onKill` runs first, so the caller can say so), or with `sweep` in any case, so that
    /// what it left behind in its group goes too. Returns the pending SIGKILL, which can be cancelled.
    @discardableResult
    public func stop(_ scope: StopScope, grace: Double, sweep: Bool = false, onKill: (@Sendable () -> Void)? = nil) -> DispatchWorkItem {
        let send: @Sendable (Int32) -> Void = { [self] sig in scope == .group ? signalGroup(sig) : signalTree(sig) }
        send(SIGTERM)
        let kill = DispatchWorkItem { [self] in
            let running = exitStatus == nil
            if running { onKill?() }
            if running || sweep { send(SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + grace, execute: kill)
        return kill
    }
}
