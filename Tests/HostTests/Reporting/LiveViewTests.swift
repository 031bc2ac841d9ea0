import Foundation
import StepProcess
import Testing

/// The live view as a person sees it: stephost in a real pseudo-terminal (tmux), the screen read with capture-pane.
@Suite("the live view in a terminal", .timeLimit(.minutes(2)), .enabled(if: Command.which("tmux") != nil || TestSupport.inCI))
struct LiveViewTests {
    let session = "stephost-live-\(getpid())-\(Int.random(in: 0..<1_000_000))"

    /// A tmux server of this test's own (-L): cases running at once never race to start a shared one.
    func tmux(_ args: [String]) async throws -> TestSupport.Result { try await TestSupport.run(["tmux", "-L", session] + args, cwd: "/") }

    func screen(colors: Bool = false) async throws -> String {
        try await tmux(["capture-pane", "-p", "-t", session] + (colors ? ["-e"] : [])).stdout
    }

    @Test("running steps have a spinner, elapsed time and progress; finished ones scroll above; colour unless NO_COLOR", arguments: [false, true])
    func liveView(noColor: Bool) async throws {
        let dir = try await TestSupport.gitRepo([:])
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              w:
                steps:
                  - {id: quick, uses: fake, needs: [], with: {mode: echo}}
                  - {id: slow, uses: fake, needs: [], with: {mode: logs, list: [{message: "warming up"}], release: "\(dir)/release"}}
            """)
        // The session stays after the run (until kill-server), so the screen can be read at the end;
        // the run's exit status is kept in a file, for a failure to say what happened.
        let command = "cd '\(dir)' && NO_COLOR=\(noColor ? "1" : "") TERM=xterm-256color '\(TestSupport.stephost)' run w -j 2 --plugin 'fake=\(TestSupport.fake)'; "
            + "echo $? > exit.txt; echo DONE; sleep 120"
        _ = try await tmux(["new-session", "-d", "-s", session, "-x", "100", "-y", "20", command])
        do { try await watch(noColor: noColor, dir: dir) } catch { Issue.record(error) }
        _ = try await tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(session)")
    }

    func watch(noColor: Bool, dir: String) async throws {
        var running = ""
        // Poll the screen (an event we can only observe by looking) until the slow step shows as running.
        var found = false
        for _ in 0..<300 where !found {
            running = try await screen()
            found = running.contains("slow (fake)") && running.contains("half way")
            if !found { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        #expect(found, "the live area never showed the running step: \(running) (exit status file: \((try? String(contentsOfFile: "\(dir)/exit.txt", encoding: .utf8)) ?? "none yet"))")
        let live = running.split(separator: "\n").first { $0.contains("slow (fake)") }.map(String.init) ?? ""
        #expect(["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"].contains { live.hasPrefix($0) }, "a spinner: \(live)")
        #expect(live.contains("[██████") && live.contains("50%"), "the progress as a bar: \(live)")
        #expect(running.contains("✓ quick (fake) success"), "the finished step scrolled above: \(running)")
        let colored = try await screen(colors: true)
        #expect(colored.contains("\u{1B}[") == !noColor, "colour only without NO_COLOR: \(colored.debugDescription)")
        // Seen running: now let the slow step end.
        TestSupport.write("\(dir)/release", "")
        var final = ""
        for _ in 0..<600 where !final.contains("DONE") {
            try await Task.sleep(nanoseconds: 100_000_000)
            final = try await screen()
        }
        #expect(final.contains("✓ slow (fake) success") && final.contains("2 success"), "\(final)")
        #expect(!final.contains("⠋ slow") && !final.contains("half way"), "the live area is gone at the end: \(final)")
    }
}
