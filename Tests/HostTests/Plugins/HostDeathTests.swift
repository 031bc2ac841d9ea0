import Foundation
import StepJournal
import StepProcess
import StepProtocol
import Testing

/// The host itself killed with SIGKILL: nothing it started survives, and the
/// run can be resumed from its journal.
@Suite("host killed with SIGKILL, orphans and descriptors", .timeLimit(.minutes(3)))
struct HostDeathTests {
    static func pids(_ file: String) -> [pid_t] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// The processes the guardian says it watches (`STEPHOST_GUARD_LOG`).
    static func watched(_ log: String) -> Set<pid_t> {
        Set(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            $0.hasPrefix("watch ") ? $0.split(separator: " ").dropFirst().first.flatMap { pid_t($0) } : nil
        })
    }

    @Test("no plugin and no process a plugin started outlives a killed host (own groups, own sessions, double forks)")
    func noOrphans() async throws {
        let scratch = TestSupport.tempDir("orphans")
        let pidfile = "\(scratch)/sleeper.pid", pids = "\(scratch)/pids", record = "\(scratch)/fake.rec"
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
        workflows:
          w:
            steps:
              - {id: forker, uses: fake, needs: [], with: {mode: fork-sleeper, pidfile: "\(pidfile)"}}
              - id: daemons
                uses: exec
                needs: []
                with:
                  run: |
                    setsid sleep 301 & echo $! >> "\(pids)"
                    ( sleep 302 & echo $! >> "\(pids)" )
                    ( setsid sh -c 'echo $$ >> "\(pids)"; exec sleep 304' & )
                    sleep 303 & echo $! >> "\(pids)"
                    wait
        """])
        let guardLog = "\(scratch)/guard.log"
        let host = try TestSupport.startStephost(["run", "w", "--plugin", "fake=\(TestSupport.fake) --record \(record)"], cwd: dir,
                                                 env: ["STEPHOST_GUARD_LOG": guardLog])
        let ready = try await TestSupport.waitUntil(20) { Self.pids(pids).count == 4 && FileManager.default.fileExists(atPath: pidfile) }
        #expect(ready, "the steps did not start their processes: \(host.err.text)")
        // The guardian finds the processes the host adopted (the orphans of double forks) when it next looks at the
        // host's children: wait until it says it watches every child the host has but itself.
        let known = try await TestSupport.waitUntil(20) {
            let children = (ProcessTree.children(of: host.process.pid) ?? []).filter {
                !((try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? "").contains("__guard")
            }
            return !children.isEmpty && Set(children).isSubset(of: Self.watched(guardLog))
        }
        #expect(known, "the guardian does not watch every child of the host")
        let plugin = ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first { $0.hasPrefix("pid=") }.flatMap { pid_t($0.dropFirst(4)) } }
        var victims = Self.pids(pids) + Self.pids(pidfile) + plugin
        victims += ProcessTree.descendants(of: host.process.pid)
        #expect(victims.count >= 7)
        kill(host.process.pid, SIGKILL)
        await TestSupport.waitForExit(host.process, within: 30)
        let gone = try await TestSupport.waitUntil(10) { victims.allSatisfy { !TestSupport.isAlive($0) } }
        let survivors = victims.filter(TestSupport.isAlive)
        #expect(gone, "outlived the host: \(survivors.map { "\($0): \((try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? "")" })")
        for p in survivors { kill(p, SIGKILL) }
    }

    @Test("a run killed at several points resumes from its journal; no step that succeeded runs twice")
    func killAndResume() async throws {
        let scratch = TestSupport.tempDir("resume-kill")
        let log = "\(scratch)/ran.log"
        let steps = (1...6).map { "s\($0)" }
        var yaml = "workflows:\n  w:\n    steps:\n"
        for (k, s) in steps.enumerated() {
            let uses = k % 2 == 0 ? "exec" : "fake"
            if uses == "exec" {
                yaml += "      - {id: \(s), uses: exec, with: {run: 'echo \(s) >> \"\(log)\"; sleep 0.4; echo \"n=\(k)\" >> \"$STEPHOST_OUTPUT\"'}}\n"
            } else {
                // A plugin step that reads the output of the step before it.
                yaml += "      - {id: \(s), uses: fake, with: {mode: sleep, ms: 400, message: '${{ steps.\(steps[k - 1]).outputs.n }}'}}\n"
            }
        }
        let dir = try await TestSupport.gitRepo(["stephost.yaml": yaml])
        let record = "\(scratch)/fake.rec"
        let plugin = ["--plugin", "fake=\(TestSupport.fake) --record \(record)"]
        let runs = "\(dir)/.stephost/runs"

        /// Steps the newest journal records as succeeded.
        func succeeded() -> Set<String> {
            guard let r = RunHistory(workspace: TestSupport.resolvedPath(dir)).all().first else { return [] }
            return Set(r.steps.filter { $0.outcome.status == .success }.map(\.outcome.id))
        }
        /// How often each step has started so far: exec steps log to ran.log, fake steps to its record.
        func starts() -> [String: Int] {
            let execRuns = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            let fakeRuns = ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { $0.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) } }
            return Dictionary(grouping: execRuns + fakeRuns, by: { $0 }).mapValues(\.count)
        }
        // After each kill: what the journal says succeeded, and how often each of those had started.
        var checkpoints: [(succeeded: Set<String>, starts: [String: Int])] = []
        for (cycle, target) in [1, 3, 5].enumerated() {
            let args = ["run", "w"] + plugin + (cycle == 0 ? [] : ["--resume"])
            let host = try TestSupport.startStephost(args, cwd: dir)
            let reached = try await TestSupport.waitUntil(30) {
                (try? FileManager.default.contentsOfDirectory(atPath: runs).count) ?? 0 > cycle
                    && RunHistory(workspace: TestSupport.resolvedPath(dir)).all().count > cycle && succeeded().count >= target
            }
            #expect(reached, "cycle \(cycle): \(host.out.text)\(host.err.text)")
            kill(host.process.pid, SIGKILL)
            await TestSupport.waitForExit(host.process, within: 30)
            checkpoints.append((succeeded(), starts()))
        }
        let last = try await TestSupport.stephost(["run", "w", "--resume", "last", "--json"] + plugin, cwd: dir)
        #expect(last.code == 0, "\(last.stderr)")
        let summary = try last.summary()
        #expect(summary["resumedFrom"]?.stringValue != nil)
        for s in steps { #expect(summary.stepsByID[s]?["status"] == "success", "\(s)") }
        #expect(summary.stepsByID["s6"]?["outputs"]?["with"]?["message"] == "4", "outputs of reused steps feed the next ones")

        let final = starts()
        #expect(checkpoints.last?.succeeded.count ?? 0 >= 5)
        for (k, c) in checkpoints.enumerated() {
            for s in c.succeeded {
                #expect(final[s] == c.starts[s], "\(s) had succeeded by kill \(k + 1) but started again afterwards")
            }
        }
        for s in steps { #expect((final[s] ?? 0) >= 1, "\(s) never ran") }
    }

    @Test("the host leaks no file descriptor: as many open after 200 steps as after 10")
    func noDescriptorLeak() async throws {
        var yaml = "workflows:\n  w:\n    steps:\n"
        for k in 1...200 {
            switch k {
            case 10, 200: yaml += "      - {id: s\(k), uses: fake, with: {mode: host-stats}}\n"
            case _ where k % 3 == 0: yaml += "      - {id: s\(k), uses: exec, with: {run: 'echo line; echo err >&2'}}\n"
            case _ where k % 3 == 1: yaml += "      - {id: s\(k), uses: fake, with: {mode: fail}, continue-on-error: true}\n"
            default: yaml += "      - {id: s\(k), uses: fake, with: {message: m}}\n"
            }
        }
        let dir = try await TestSupport.gitRepo(["stephost.yaml": yaml])
        let r = try await TestSupport.stephost(["run", "w", "-j", "1", "--json", "--plugin", "fake=\(TestSupport.fake)"], cwd: dir, timeout: 120)
        #expect(r.code == 0, "\(r.stderr.suffix(2000))")
        let s = try r.summary()
        let early = try #require(s.stepsByID["s10"]?["outputs"]?["hostFDs"]?.intValue)
        let late = try #require(s.stepsByID["s200"]?["outputs"]?["hostFDs"]?.intValue)
        // A leak grows with the steps (one per step would be ~190 more); allow for a
        // descriptor or two in flight at the moment of counting (a log being written).
        #expect(late <= early + 2, "the host had \(early) descriptors open at step 10 and \(late) at step 200")
    }

    @Test("a journal torn by a kill mid-write is read up to its last whole line")
    func tornJournal() throws {
        let dir = "\(TestSupport.tempDir("torn"))/20261129T000000Z-0001"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        TestSupport.write("\(dir)/journal.jsonl", """
        {"event":"run-started","time":"2026-11-29T00:00:00.000Z","workflows":["w"],"pid":999999999}
        {"event":"step-started","step":"a","uses":"exec","time":"2026-11-29T00:00:00.100Z"}
        {"event":"step-finished","id":"a","uses":"exec","status":"success","outputs":{"x":"1"},"time":"2026-11-29T00:00:01.000Z"}
        {"event":"step-started","step":"b","uses":"exec","time":"2026-11-29T00:00:01.100Z"}
        {"event":"step-finished","id":"b","uses":"ex
        """)
        let r = try RunJournal.read(directory: dir)
        #expect(r.steps.map(\.outcome.id) == ["a"])
        #expect(r.steps.first?.outcome.outputs["x"] == "1")
        #expect(r.unfinished == ["b"])
        #expect(r.state == .ended)
        #expect(r.durationMs == 1100)
    }
}

/// The guardian on its own, started by this test process as if it were a host.
@Suite("process guardian", .timeLimit(.minutes(3)))
struct ProcessGuardianTests {
    static func sleeper() throws -> ChildProcess {
        try ChildProcess(executable: "/bin/sleep", arguments: ["300"], environment: [:], directory: "/", guarded: false,
                         onStdout: { _ in }, onStderr: { _ in })
    }

    static func guardian(host: pid_t, log: String) throws -> ChildProcess {
        try ChildProcess(executable: TestSupport.stephost, arguments: ["__guard", String(host)], environment: ["STEPHOST_GUARD_LOG": log], directory: "/",
                         guarded: false, onStdout: { _ in }, onStderr: { _ in })
    }

    @Test("when its host dies, it kills the host's children it saw, and only those")
    func killsHostChildren() async throws {
        // A stand-in host (not this test process, whose other children belong to other tests):
        // it starts a child and a guardian, then is killed.
        let pidfile = "\(TestSupport.tempDir("guard"))/child.pid"
        let guardLog = "\(TestSupport.tempDir("guard"))/guard.log"
        var env = ProcessInfo.processInfo.environment
        env["STEPHOST_GUARD_LOG"] = guardLog
        let host = try ChildProcess(executable: try #require(Command.which("python3")), arguments: ["-c", """
            import os, subprocess, sys, time
            c = subprocess.Popen(["sleep", "300"])
            r, w = os.pipe()
            subprocess.Popen([sys.argv[2], "__guard", str(os.getpid())], stdin=r)
            os.close(r)
            open(sys.argv[1], "w").write(str(c.pid))
            time.sleep(300)
            """, pidfile, TestSupport.stephost], environment: env, directory: "/",
            guarded: false, onStdout: { _ in }, onStderr: { _ in })
        let bystander = try Self.sleeper()
        defer { bystander.signalGroup(SIGKILL) }
        let started = try await TestSupport.waitUntil(10) { ((try? String(contentsOfFile: pidfile, encoding: .utf8)) ?? "").count > 0 }
        #expect(started)
        let child = try #require(pid_t(try String(contentsOfFile: pidfile, encoding: .utf8)))
        let seen = try await TestSupport.waitUntil(10) { HostDeathTests.watched(guardLog).contains(child) }
        #expect(seen, "the guardian never saw the host's child")
        kill(host.pid, SIGKILL) // the host alone: its child and the guardian share its process group
        await TestSupport.waitForExit(host, within: 30)
        let gone = try await TestSupport.waitUntil(5) { !TestSupport.isAlive(child) }
        if !gone { kill(child, SIGKILL) }
        #expect(gone, "the host's child outlived it")
        #expect(bystander.exitStatus == nil, "a process that was not the host's child was killed")
    }

    @Test("it never touches the children of a process that is not its host (a reaper it was handed to)")
    func sparesOthers() async throws {
        let child = try Self.sleeper()
        defer { child.signalGroup(SIGKILL) }
        // Its parent (this process) is not the host it was told about, as after the host died. It looks at the
        // host's children first thing, before it reads its pipe: closed at once, the pipe ends it after that look.
        let log = "\(TestSupport.tempDir("guard"))/guard.log"
        let g = try Self.guardian(host: 999_999, log: log)
        g.closeStdin()
        await TestSupport.waitForExit(g, within: 30)
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(said == "stopped 0\n", "the guardian watched or stopped something: \(said)")
        #expect(child.exitStatus == nil, "the guardian killed a process that was not its host's")
    }
}
