import Foundation
import StepJournal
import StepManifest
import StepProtocol
import StepRun
import Testing

/// Scheduling without processes: the scheduler, executor and run record exactly as `stephost run`
/// uses them, with every attempt answered by an `InMemoryAttemptRunner`.
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

    /// The retries the scheduler announced, as "step attempt/of".
    final class Retries: RunReporter, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []
        func report(_ event: RunEvent) {
            if case .retrying(let step, let attempt, let of, _, _) = event { lock.withLock { seen.append("\(step) \(attempt)/\(of)") } }
        }
        var all: [String] { lock.withLock { seen } }
    }

    static let work = StepDescription(name: "work", inputs: ["type": "object"])

    /// Runs `workflow` of `manifest` in `dir` (a new folder by default); `answer` decides each attempt.
    func run(_ manifest: String, in dir: String? = nil, jobs: Int = 4, failFast: Bool = false, resume: String? = nil,
             reporter: RunReporter = Quiet(),
             _ answer: @escaping @Sendable (StepJob, Int) async -> InMemoryAttemptRunner.Answer = { _, _ in .success(outputs: [:]) })
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
        let runner = InMemoryAttemptRunner { job, attempt in
            log.add(job, attempt)
            return await answer(job, attempt)
        }
        let prepared = try await Runner.prepare(r, reporter: reporter, steps: [Self.work], runner: runner)
        return (await Runner.execute(prepared, reporter: reporter), log, dir)
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

    func outcome(_ s: RunSummary, _ id: String) -> StepOutcome? { s.steps.first { $0.id == id } }

    @Test("for-each over an earlier step's output: push[x] reads build[x]; a later step gets an object by key; an empty list is nothing to do")
    func forEachFromOutputs() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: list, uses: work}
                  - {id: build, uses: work, for-each: "${{ steps.list.outputs.items }}", with: {name: "${{ item.name }}", n: "${{ item.n }}"}}
                  - {id: push, uses: work, needs: [build], for-each: "${{ steps.list.outputs.items }}", with: {image: "${{ steps.build.outputs.image }}"}}
                  - {id: all, uses: work, needs: [push], with: {images: "${{ steps.build.outputs.image }}", pushed: "${{ toJSON(steps.push.outputs.pushed) }}"}}
                  - {id: none, uses: work, for-each: "${{ fromJSON('[]') }}"}
                  - {id: after-none, uses: work}
            """) { job, _ in
            switch job.spec.id {
            case "list": return .success(outputs: ["items": [["name": "x", "n": 1], ["name": "y", "n": 2]]])
            case "build": return .success(outputs: ["image": .string("img-\(job.inputs["name"]?.stringValue ?? "")-\(job.inputs["n"]?.intValue ?? 0)")])
            case "push": return .success(outputs: ["pushed": job.inputs["image"] ?? .null])
            default: return .success(outputs: [:])
            }
        }
        #expect(s.exitCode == 0)
        #expect(outcome(s, "push[x]")?.outputs["pushed"] == "img-x-1" && outcome(s, "push[y]")?.outputs["pushed"] == "img-y-2")
        #expect(log.job("all")?.inputs["images"] == ["x": "img-x-1", "y": "img-y-2"])
        #expect(log.job("all")?.inputs["pushed"] == #"{"x":"img-x-1","y":"img-y-2"}"#)
        #expect(statuses(s)["none"] == "skipped (nothing to do)" && log.attempts("none") == 0)
        #expect(statuses(s)["after-none"] == "success" && log.attempts("after-none") == 1, "nothing to do counts as done: what follows runs")
    }

    @Test("pairing: a paired step does not run when its partner failed as a whole, and per key otherwise")
    func pairingFailures() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: build, uses: work, for-each: "${{ fromJSON(env.NOPE) }}"}
                  - {id: push, uses: work, needs: [build], for-each: "${{ fromJSON(env.NOPE) }}"}
                  - {id: b2, uses: work, needs: [], for-each: [x, y]}
                  - {id: p2, uses: work, needs: [b2], for-each: [x, y]}
            """) { job, _ in job.stepID == "b2[x]" ? .failure(message: "no") : .success(outputs: [:]) }
        let st = statuses(s)
        #expect(st["build"] == "failure" && st["push"] == "skipped (needs failed)", "\(st)")
        #expect(st["p2[x]"] == "skipped (needs failed)" && st["p2[y]"] == "success")
        #expect(log.attempts("p2[x]") == 0 && log.attempts("p2[y]") == 1)
    }

    @Test("for-each keys must be unique: the step fails naming the duplicates, and none of its instances starts")
    func duplicateKeys() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: a, uses: work, for-each: "${{ fromJSON('[\\"x\\",\\"x\\",\\"y\\"]') }}"}
            """)
        #expect(s.exitCode == 1)
        #expect(outcome(s, "a")?.error?.contains("duplicated: x") == true, "\(String(describing: outcome(s, "a")?.error))")
        #expect(log.started.isEmpty)
    }

    @Test("conditions: needs failed, if was false, failure(), always(), continue-on-error; a failed step's outputs are readable")
    func conditionsInFull() async throws {
        let (s, log, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: bad, uses: work}
                  - {id: dependant, uses: work}
                  - {id: on-failure, uses: work, needs: [bad], if: failure(), with: {code: "${{ steps.bad.outputs.code }}"}}
                  - {id: always, uses: work, needs: [dependant], if: "${{ always() }}"}
                  - {id: false-if, uses: work, needs: [], if: "env.NOPE == 'x'"}
                  - {id: after-false, uses: work, needs: [false-if]}
                  - {id: soft, uses: work, needs: [], continue-on-error: true}
                  - {id: after-soft, uses: work, needs: [soft], if: "steps.soft.status == 'failure'"}
            """) { job, _ in
            switch job.spec.id {
            case "bad": return .failure(message: "bad", outputs: ["code": 9])
            case "soft": return .failure(message: "soft")
            default: return .success(outputs: [:])
            }
        }
        #expect(s.exitCode == 1)
        let st = statuses(s)
        #expect(st == ["bad": "failure", "dependant": "skipped (needs failed)", "on-failure": "success", "always": "success",
                       "false-if": "skipped (if was false)", "after-false": "skipped (needs skipped)",
                       "soft": "failure (continue-on-error)", "after-soft": "success"], "\(st)")
        #expect(log.job("on-failure")?.inputs["code"] == 9, "a failed step's outputs are readable")
    }

    @Test("continue-on-error alone keeps exit status 0")
    func continueOnError() async throws {
        let (s, _, _) = try await run("workflows:\n  w:\n    steps:\n      - {id: soft, uses: work, continue-on-error: true}\n") { _, _ in
            .failure(message: "soft")
        }
        #expect(s.exitCode == 0 && statuses(s)["soft"] == "failure (continue-on-error)")
    }

    @Test("retry: each retry is announced with its attempt, and every attempt is in the step's attempt log")
    func retryAnnounced() async throws {
        let retries = Retries()
        let (s, _, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: flaky, uses: work, retry: {attempts: 3, backoff: 1ms}}
            """, reporter: retries) { _, attempt in attempt < 3 ? .failure(message: "reset", retryable: true) : .success(outputs: [:]) }
        #expect(retries.all == ["flaky 2/3", "flaky 3/3"], "\(retries.all)")
        #expect(outcome(s, "flaky")?.attempts == 3 && outcome(s, "flaky")?.attemptLog.count == 3)
    }

    /// How many answers are in progress at once, at most.
    actor Overlap {
        var now = 0, most = 0
        var waiting: [(n: Int, c: CheckedContinuation<Void, Never>)] = []
        func enter() {
            now += 1; most = max(most, now)
            let ready = waiting.filter { $0.n <= most }
            waiting.removeAll { $0.n <= most }
            ready.forEach { $0.c.resume() }
        }
        func leave() { now -= 1 }
        /// Waits until `n` answers have been in progress at once (the suite's time limit bounds it).
        func barrier(_ n: Int) async {
            if most >= n { return }
            await withCheckedContinuation { waiting.append((n, $0)) }
        }
    }

    /// Opens once `count` arrivals have come; waiters resume then (at once, if it is open already).
    actor Gate {
        var left: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        init(_ count: Int) { left = count }
        func arrive() { left -= 1; if left == 0 { waiters.forEach { $0.resume() }; waiters = [] } }
        func wait() async {
            if left <= 0 { return }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    @Test("max-parallel limits a for-each step below -j; without it, -j is the limit")
    func maxParallel() async throws {
        let overlap = Overlap(), free = Overlap()
        // An instance of `each` holds its slot until every `free` instance has ended: the scheduler has had every
        // chance to start another `each` instance meanwhile, so a broken limit shows (not only when timing helps).
        let freeDone = Gate(4)
        let (s, _, _) = try await run("""
            workflows:
              w:
                steps:
                  - {id: each, uses: work, max-parallel: 1, for-each: [a, b, c]}
                  - {id: free, uses: work, needs: [], for-each: [a, b, c, d]}
            """, jobs: 4) { job, _ in
            let o = job.spec.id == "each" ? overlap : free
            await o.enter()
            if o === free { await o.barrier(2) } else { await freeDone.wait() }
            await o.leave()
            if o === free { await freeDone.arrive() }
            return .success(outputs: [:])
        }
        #expect(s.exitCode == 0)
        #expect(await overlap.most == 1)
        #expect(await free.most >= 2, "steps without max-parallel ran at once (a barrier, not timing)")
    }
}
