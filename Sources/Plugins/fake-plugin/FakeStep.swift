import Foundation
import PluginKit
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The fake's step: `with.mode` picks what it does.
enum FakeStep {
    static func description(_ name: String) -> StepDescription {
        StepDescription(
            name: name, description: "a scripted fake step",
            inputs: ["type": "object", "additionalProperties": false, "properties": [
                "mode": ["type": "string", "enum": ["echo", "fail", "fail-until", "barrier", "sleep", "hang", "ignore-cancel", "crash",
                                                    "exit0", "garbage", "not-jsonrpc", "unknown-id", "huge-line", "close-stdout",
                                                    "stderr-flood", "log-flood", "stray-print", "mask", "fork-sleeper", "deep-json", "leak-secrets", "host-stats", "logs"]],
                "outputs": ["type": "object"], "message": ["type": "string"], "hint": ["type": "string"],
                "retryable": ["type": "boolean"], "attempts": ["type": "integer"], "ms": ["type": "integer"],
                "dir": ["type": "string"], "count": ["type": "integer"], "bytes": ["type": "integer"],
                "value": ["type": "string"], "text": ["type": "string"], "list": ["type": "array"], "number": ["type": "number"],
                "pidfile": ["type": "string"],
                "release": ["type": "string", "description": "logs mode: wait until this file exists (a test's event, not a timer)"],
            ]],
            outputs: ["with": "the inputs it got", "env": "params.env", "secretNames": "names of granted secrets"])
    }

    static func echo(_ s: StepContext) -> StepRunResult {
        var outs = s.with["outputs"]?.objectValue ?? [:]
        outs["with"] = .object(s.with)
        outs["env"] = .object(s.request.env.mapValues(JSONValue.string))
        outs["secretNames"] = .array(s.request.secrets.keys.sorted().map(JSONValue.string))
        outs["attempt"] = .int(s.request.step.attempt)
        outs["stepID"] = .string(s.request.step.id)
        outs["environment"] = s.request.step.environment.map(JSONValue.string) ?? .null
        outs["run"] = ["workflow": .string(s.request.run.workflow), "event": .string(s.request.run.event),
                       "branch": .string(s.request.run.branch), "sha": .string(s.request.run.sha), "base": .string(s.request.run.base),
                       "id": .string(s.request.run.id), "environment": s.request.run.environment.map(JSONValue.string) ?? .null,
                       "failures": .array(s.request.run.failures)]
        outs["workspace"] = .string(s.request.workspace)
        outs["tempDirExists"] = .bool(FileManager.default.fileExists(atPath: s.request.tempDir))
        outs["dryRun"] = .bool(s.isDryRun)
        outs["pid"] = .int(Int(getpid()))
        return StepRunResult(outputs: outs, summary: s.with["message"]?.stringValue)
    }

    static func rawWrite(_ text: String) {
        // fd 1 points at stderr under PluginKit; the protocol stream is the duplicate PluginKit made.
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(PluginServer.protocolFileDescriptor, $0.baseAddress, $0.count) }
    }

    static func writeStderr(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func sleepMs(_ ms: Int) async throws { try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000) }

    static func run(_ s: StepContext, _ o: FakeOptions) async throws -> StepRunResult {
        let mode = s.with["mode"]?.stringValue ?? "echo"
        o.record("step id=\(s.request.step.id) attempt=\(s.request.step.attempt) pid=\(getpid()) mode=\(mode)")
        if !o.quiet { FileHandle.standardError.write(Data("fake: \(s.request.step.id) mode \(mode)\n".utf8)) }
        switch mode {
        case "echo":
            if let ms = s.with["ms"]?.intValue { try await sleepMs(ms) }
            return echo(s)
        case "logs":
            // Each of `list` as a log notification ({level, message, file, line}) or, as a string, a stderr line;
            // then a progress report, and a failure when `message` is given.
            // `count` repeats the list, so a test can make megabytes of log from a small manifest.
            for entry in Array(repeating: s.with["list"]?.arrayValue ?? [], count: max(s.with["count"]?.intValue ?? 1, 1)).joined() {
                if let text = entry.stringValue { FileHandle.standardError.write(Data((text + "\n").utf8)); continue }
                s.log(entry["message"]?.stringValue ?? "", level: LogNotification.Level(rawValue: entry["level"]?.stringValue ?? "info") ?? .info,
                      file: entry["file"]?.stringValue, line: entry["line"]?.intValue)
            }
            s.progress("half way", completed: 1, total: 2)
            if let ms = s.with["ms"]?.intValue { try await sleepMs(ms) }
            if let release = s.with["release"]?.stringValue {
                while !FileManager.default.fileExists(atPath: release) { try await sleepMs(50) }
            }
            if let m = s.with["message"]?.stringValue { throw ResponseError.stepFailed(m, hint: s.with["hint"]?.stringValue) }
            return echo(s)
        case "fail":
            FileHandle.standardError.write(Data("fake: about to fail\n".utf8))
            throw ResponseError.stepFailed(s.with["message"]?.stringValue ?? "fake failure", hint: s.with["hint"]?.stringValue,
                                           retryable: s.with["retryable"]?.boolValue, exitCode: 3,
                                           outputs: s.with["outputs"]?.objectValue)
        case "fail-until":
            let n = s.with["attempts"]?.intValue ?? 2
            if s.request.step.attempt < n {
                throw ResponseError.stepFailed("attempt \(s.request.step.attempt) failed", retryable: s.with["retryable"]?.boolValue ?? true)
            }
            return echo(s)
        case "barrier":
            // Proves concurrency without timing: waits until `count` steps have arrived.
            let dir = s.with["dir"]!.stringValue!
            let n = s.with["count"]?.intValue ?? 2
            guard FileManager.default.createFile(atPath: "\(dir)/\(s.request.step.id)", contents: nil) else {
                throw ResponseError.stepFailed("barrier: cannot write to \(dir)")
            }
            for _ in 0..<((s.with["ms"]?.intValue ?? 10_000) / 20) {
                if ((try? FileManager.default.contentsOfDirectory(atPath: dir))?.count ?? 0) >= n { return echo(s) }
                try await sleepMs(20)
            }
            throw ResponseError.stepFailed("barrier: fewer than \(n) steps ran at once")
        case "sleep":
            try await sleepMs(s.with["ms"]?.intValue ?? 1000)
            return echo(s)
        case "hang":
            // Said once it is in the step, so a test can cancel at that moment instead of after a guessed delay.
            s.log("hanging")
            while true { try await sleepMs(50) }
        case "ignore-cancel":
            signal(SIGTERM, SIG_IGN)
            s.log("hanging, ignoring cancellation and SIGTERM")
            while true { usleep(50_000) }
        case "crash":
            FileHandle.standardError.write(Data("fake: crashing mid-step\n".utf8))
            exit(3)
        case "exit0":
            exit(0)
        case "garbage":
            rawWrite("this is not JSON at all\n")
            while true { try await sleepMs(50) }
        case "not-jsonrpc":
            rawWrite("{\"hello\": \"world\"}\n")
            while true { try await sleepMs(50) }
        case "unknown-id":
            rawWrite("{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":{}}\n")
            while true { try await sleepMs(50) }
        case "deep-json":
            rawWrite("{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{\"message\":" + String(repeating: "[", count: 100_000) + "]}}\n")
            while true { try await sleepMs(50) }
        case "huge-line":
            rawWrite("{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{\"message\":\"" + String(repeating: "x", count: 9 * 1024 * 1024) + "\"}}\n")
            while true { try await sleepMs(50) }
        case "close-stdout":
            close(PluginServer.protocolFileDescriptor)
            while true { usleep(50_000) }
        case "stderr-flood":
            let total = s.with["bytes"]?.intValue ?? 100_000_000
            let chunk = [UInt8](repeating: UInt8(ascii: "e"), count: 1023) + [0x0A]
            var written = 0
            while written < total {
                let n = chunk.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                written += n
            }
            return echo(s)
        case "log-flood":
            let n = s.with["count"]?.intValue ?? 100_000
            for k in 0..<n { s.log("line \(k)") }
            return echo(s)
        case "stray-print":
            print("a stray print that must not reach the protocol stream")
            return echo(s)
        case "mask":
            let v = s.with["value"]?.stringValue ?? ""
            s.mask(v)
            s.log("derived token is \(v)")
            return StepRunResult(outputs: ["token": .string(v)])
        case "leak-secrets":
            // Writes each granted secret to stderr (bypassing PluginKit's own masking)
            // the ways a careless tool would: split across two writes of the pipe,
            // straddling the host's 2 KiB line cut, and inside base64(user:secret).
            for v in s.request.secrets.values {
                let b = Array(v.utf8), half = b.count / 2
                writeStderr(Array("split: ".utf8) + b[..<half])
                try await sleepMs(150)
                writeStderr(Array(b[half...]) + [0x0A])
                writeStderr([UInt8](repeating: UInt8(ascii: "."), count: 2040) + b + [0x0A])
                writeStderr(Array("basic: \(Data(("user:" + v).utf8).base64EncodedString())\n".utf8))
            }
            return echo(s)
        case "host-stats":
            // The host (this process's parent): descriptors open now, and its peak resident memory.
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(getppid())/fd")) ?? []
            let status = (try? String(contentsOfFile: "/proc/\(getppid())/status", encoding: .utf8)) ?? ""
            let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
                .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Int($0) }
            var r = echo(s)
            r.outputs["hostFDs"] = .int(fds.count)
            r.outputs["hostPeakRSSKB"] = hwm.map(JSONValue.int) ?? .null
            return r
        case "fork-sleeper":
            let pidfile = s.with["pidfile"]?.stringValue ?? "/dev/null"
            _ = try? await s.runProcess(["/bin/sh", "-c", "sleep 300 & echo $! > '\(pidfile)'"], environment: ProcessInfo.processInfo.environment)
            while true { usleep(50_000) }
        default:
            throw ResponseError(code: .invalidParams, message: "unknown mode \(mode)")
        }
    }
}
