import Foundation
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The fake's process-level switches.
struct FakeOptions: Sendable {
    var name = "fake"
    var steps = ["fake"]
    var concurrency = 1
    var dryRun = true
    var cancel = true
    /// `exit`, `crash`, `slow:MS`, `version:N`, `hang`, `garbage`.
    var initMode: String?
    /// A file that gets one line per event (start, each step), for tests to count processes and calls.
    var recordFile: String?
    /// `steps[].kind` it declares in initialize.
    var kind: String?
    /// No stderr line per step (for benchmarks: a step's first stderr line opens its log file).
    var quiet = false
    /// Any inputs at all (`mode` still picks the behaviour): for standing in for real plugins' steps.
    var anyInputs = false

    static func parse(_ args: [String]) -> FakeOptions {
        var o = FakeOptions()
        var k = 0
        func next() -> String { k += 1; return k < args.count ? args[k] : "" }
        while k < args.count {
            switch args[k] {
            case "--name": o.name = next()
            case "--steps": o.steps = next().split(separator: ",").map(String.init)
            case "--concurrency": o.concurrency = Int(next()) ?? 1
            case "--no-dry-run": o.dryRun = false
            case "--no-cancel": o.cancel = false
            case "--init": o.initMode = next()
            case "--record": o.recordFile = next()
            case "--kind": o.kind = next()
            case "--quiet": o.quiet = true
            case "--any-inputs": o.anyInputs = true
            default: break
            }
            k += 1
        }
        return o
    }

    func record(_ line: String) {
        guard let f = recordFile else { return }
        let fd = open(f, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Misbehaviours that happen before or instead of a normal initialize.
    static func beforeServing(_ o: FakeOptions) {
        guard let mode = o.initMode else { return }
        if mode == "exit" { FileHandle.standardError.write(Data("fake: exiting before initialize\n".utf8)); exit(7) }
        if mode.hasPrefix("slow:"), let ms = UInt32(mode.dropFirst(5)) { usleep(ms * 1000); return }
        // The rest answer (or not) the first line themselves.
        _ = readLine()
        switch mode {
        case "crash":
            FileHandle.standardError.write(Data("fake: crashing during initialize\n".utf8))
            abort()
        case "hang":
            while true { sleep(1000) }
        case "garbage":
            FileHandle.standardOutput.write(Data("this is not JSON\n".utf8))
            while readLine() != nil {}
            exit(0)
        default:
            if mode.hasPrefix("version:"), let v = Int(mode.dropFirst(8)) {
                let result = InitializeResult(protocolVersion: v, pluginName: o.name, pluginVersion: "9.9.9",
                                              steps: o.steps.map { StepDescription(name: $0) })
                FileHandle.standardOutput.write(Data(Message.response(id: .number(1), result: result.json).encodedLine()))
                while readLine() != nil {}
                exit(0)
            }
        }
    }
}
