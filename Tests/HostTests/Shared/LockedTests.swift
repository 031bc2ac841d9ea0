import Foundation
import StepProcess
import Testing

@Suite("Locked: shared state behind one lock", .timeLimit(.minutes(1)))
struct LockedTests {
    @Test("increments from many threads at once are all counted")
    func concurrentIncrements() {
        let count = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { _ = count.increment() }
        }
        #expect(count.current == 80_000)
    }

    @Test("withLock changes the value in place and returns what the body returns")
    func withLock() {
        let lines = Locked(TailBuffer(maxLines: 2, maxLineBytes: 10))
        lines.withLock { $0.add(lines: "one\ntwo\nthree") }
        #expect(lines.current.lastLines == ["two", "three"])
        let n = lines.withLock { $0.lastLines.count }
        #expect(n == 2)
    }
}
