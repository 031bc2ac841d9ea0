import Foundation
import StepHost
import StepProtocol
import Testing

/// Scheduling without processes: the scheduler, executor and run record exactly as `stephost run`
/// uses them, with every attempt answered by an `InMemoryStepRunner`.
@Suite("scheduling through an in-memory runner", .timeLimit(.minutes(1)))
struct SchedulerTests {
    /// Starts, in order, and what each attempt was given.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [(id: String, attempt: Int, job: StepJob)] = []
        func add(_ job: StepJob, _ attempt: Int) { lock.withLock { entries.append((job.stepID, attempt, job)) } }
        var started: [String] { lock.withLock { entries.map(\.id) } }
        func job(_ id: String) -> StepJob? { lock.withLock { entries.last { $0.id == id }?.job } }
        func attempts(_ id: String) -> Int { lock.withLock { entries.filter { $0.id == id }.count } }
    }

    struct Quiet: RunReporter { func report(_ event: RunEvent) {} }

    static let work = StepDescription(name: "work", inputs: ["type": "object"])

    /// Runs `workflow` of `manifest` in `dir` (a new folder by default); `answer` decides each attempt.
    func run(_ manifest: String, in dir: String? = nil, jobs: Int = 4, failFast: Bool = false, resume: String? = nil,
             _ answer: @escaping @Sendable (StepJob, Int) -> InMemoryStepRunner.Answer = { _, _ in .success(outputs: [:]) })
        async throws -> (summary: RunSummary, log: Log, dir: String) {
        let dir = dir ?? TestSupport.tempDir("sched")
        TestSupport.write("\(dir)/stephost.yaml", manifest)
        var r = RunRequest(manifestPath: "\(dir)/stephost.yaml", jobs: jobs, pluginSearch: .init(currentDirectory: dir),
                           hostDirectory: TestSupport.binDir, hostEnvironment: [:], hostVersion: "test")
        r.workflow = "w"
        r.failFast = failFast
        r.resume = resume
        r.workspace = dir
        let log = Log()
        let runner = InMemoryStepRunner { job, attempt in
            log.add(job, attempt)
            return answer(job, attempt)
        }
        let prepared = try await Runner.prepare(r, reporter: Quiet(), steps: [Self.work], runner: runner)
        return (await Runner.execute(prepared, reporter: Quiet()), log, dir)
    }

    func statuses(_ s: RunSummary) -> [String: String] {
        Dictionary(uniqueKeysWithValues: s.steps.map { ($0.id, $0.statusText) })
    }

    @Test("order: a step without needs follows the one before it; needs: [] starts at once; -j1 keeps the list's order")
    func order() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: a, uses: work}
                  - {id: b, uses: work}
                  - {id: c, uses: work, needs: []}
                  - {id: d, uses: work, needs: [a, c]}
            """, jobs: 1)
        #expect(s.exitCode == 0)
        let started = log.started
        #expect(started.firstIndex(of: "a")! < started.firstIndex(of: "b")!)
        #expect(started.firstIndex(of: "a")! < started.firstIndex(of: "d")! && started.firstIndex(of: "c")! < started.firstIndex(of: "d")!)
        #expect(s.steps.map(\.id) == ["a", "b", "c", "d"], "the summary keeps the manifest's order")
    }

    @Test("for-each and pairing: one instance per item; push[x] gets build[x]'s outputs; elsewhere an object by key")
    func forEachPairing() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: build, uses: work, for-each: [api, worker], with: {name: "${{ item }}"}}
                  - {id: push, uses: work, for-each: [api, worker], needs: [build], with: {digest: "${{ steps.build.outputs.digest }}"}}
                  - {id: all, uses: work, needs: [push], with: {digests: "${{ steps.build.outputs.digest }}"}}
            """) { job, _ in
            .success(outputs: job.spec.id == "build" ? ["digest": .string("sha-\(job.inputs["name"]?.stringValue ?? "")")] : [:])
        }
        #expect(s.exitCode == 0)
        #expect(Set(s.steps.map(\.id)) == ["build[api]", "build[worker]", "push[api]", "push[worker]", "all"])
        #expect(log.job("push[api]")?.inputs["digest"] == "sha-api" && log.job("push[worker]")?.inputs["digest"] == "sha-worker")
        #expect(log.job("all")?.inputs["digests"] == ["api": "sha-api", "worker": "sha-worker"])
    }

    @Test("conditions and failure: what needs a failure is skipped; if: failure() runs and sees run.failures; continue-on-error counts as done")
    func conditions() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: flaky, uses: work, continue-on-error: true}
                  - {id: deploy, uses: work, needs: [flaky]}
                  - {id: after, uses: work, needs: [deploy]}
                  - {id: alert, uses: work, needs: [after], if: failure()}
                  - {id: fine, uses: work, needs: [after], if: success()}
            """) { job, _ in
            ["flaky", "deploy"].contains(job.spec.id) ? .failure(message: "\(job.spec.id) broke", hint: "look") : .success(outputs: [:])
        }
        #expect(s.exitCode == 1)
        let st = statuses(s)
        #expect(st == ["flaky": "failure (continue-on-error)", "deploy": "failure", "after": "skipped (needs failed)", "alert": "success",
                       "fine": "skipped (if was false)"], "\(st)")
        let failures = log.job("alert")?.run.failures ?? []
        #expect(failures.map { $0["step"]?.stringValue ?? "" } == ["flaky", "deploy"])
        #expect(failures.last?["hint"] == "look" && failures.last?["error"] == "deploy broke")
    }

    @Test("retry: a retryable failure is tried again up to attempts; an unmarked one only with when: always")
    func retry() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: net, uses: work, needs: [], retry: {attempts: 3, backoff: 1ms}}
                  - {id: hard, uses: work, needs: [], retry: {attempts: 3, backoff: 1ms}}
                  - {id: any, uses: work, needs: [], retry: {attempts: 2, backoff: 1ms, when: always}}
            """) { job, attempt in
            switch job.spec.id {
            case "net": return attempt < 3 ? .failure(message: "reset", retryable: true) : .success(outputs: [:])
            case "hard": return .failure(message: "broken")
            default: return attempt < 2 ? .failure(message: "odd") : .success(outputs: [:])
            }
        }
        #expect(statuses(s) == ["net": "success", "hard": "failure", "any": "success"])
        #expect(log.attempts("net") == 3 && log.attempts("hard") == 1 && log.attempts("any") == 2)
        #expect(s.steps.first { $0.id == "net" }?.attemptLog.map(\.status) == [.failure, .failure, .success])
    }

    @Test("fail-fast: the first failure starts nothing more")
    func failFast() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: bad, uses: work}
                  - {id: later, uses: work, needs: []}
                  - {id: last, uses: work, needs: [later]}
            """, jobs: 1, failFast: true) { job, _ in job.spec.id == "bad" ? .failure(message: "no") : .success(outputs: [:]) }
        #expect(s.exitCode == 1)
        #expect(log.started == ["bad"], "\(log.started)")
        #expect(statuses(s)["later"]?.hasPrefix("skipped") == true && statuses(s)["last"]?.hasPrefix("skipped") == true)
    }

    @Test("resume: what succeeded is reused with its outputs, what failed runs again, and what needs a rerun step runs again")
    func resume() async throws {
        let manifest = """
            workflows:
              w:
                steps:
                  - {id: a, uses: work}
                  - {id: b, uses: work, needs: [a]}
                  - {id: c, uses: work, needs: [b], with: {from: "${{ steps.a.outputs.n }}"}}
            """
        let first = try await run(manifest) { job, _ in job.spec.id == "b" ? .failure(message: "flaky") : .success(outputs: ["n": 1]) }
        #expect(first.summary.exitCode == 1)
        let second = try await run(manifest, in: first.dir, resume: first.summary.id) { _, _ in .success(outputs: ["n": 2]) }
        #expect(second.summary.exitCode == 0)
        #expect(second.log.started == ["b", "c"], "a is reused: \(second.log.started)")
        #expect(second.log.job("c")?.inputs["from"] == 1, "c reads a's recorded output")
        #expect(second.summary.steps.first { $0.id == "a" }?.reason?.hasPrefix("reused from run") == true)
    }
}
