import Foundation
import PluginKit
import StepMask
import StepProtocol

enum ExecStep {
    static let description = StepDescription(
        name: "exec",
        description: "Run a command with /bin/sh -c, or an argv list",
        inputs: [
            "type": "object", "additionalProperties": false,
            "properties": [
                "run": ["type": "string", "description": "shell command, run by /bin/sh -c"],
                "argv": ["type": "array", "items": ["type": "string"], "description": "program and arguments, run without a shell"],
                "cwd": ["type": "string", "description": "working directory (default: the workspace)"],
                "env": ["type": "object", "additionalProperties": ["type": "string"], "description": "extra environment variables"],
                "read-only": ["type": "boolean", "description": "the command changes nothing (outside .stephost/): run it in dry runs too, so later steps see its outputs"],
                "stderr": ["type": "string", "enum": ["merged", "separate"],
                           "description": "merged (default): stdout and stderr are one stream, in the order the command wrote them, as at a terminal; separate: stderr apart, its lines logged as warnings"],
            ],
        ],
        outputs: ["exitCode": "the command's exit status", "*": "name=value lines the command wrote to $STEPHOST_OUTPUT"])

    /// How many of a failed command's last lines its error carries.
    static let errorLines = 5

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let argv: [String]
        switch (step.with["run"]?.stringValue, step.with["argv"]?.arrayValue) {
        case (let cmd?, nil): argv = ["/bin/sh", "-c", cmd]
        case (nil, let list?) where !list.isEmpty: argv = list.compactMap(\.stringValue)
        default:
            throw ResponseError(code: .invalidParams, message: "exec needs exactly one of 'run' (a command) or 'argv' (a non-empty list)",
                                data: ["errors": [["path": "with", "message": "give exactly one of run or argv"]]])
        }
        let cwd = step.with["cwd"]?.stringValue.map(step.path) ?? step.request.workspace
        if step.isDryRun && step.with["read-only"]?.boolValue != true {
            return StepRunResult(outputs: ["exitCode": .null], summary: "would run `\(argv.count == 3 && argv[0] == "/bin/sh" ? argv[2] : argv.joined(separator: " "))` in \(cwd)", changed: false)
        }
        let outputFile = step.temporaryPath("exec-output")
        guard FileManager.default.createFile(atPath: outputFile, contents: nil) else {
            throw ResponseError.stepFailed("cannot create the $STEPHOST_OUTPUT file \(outputFile)", hint: "is the workspace's .stephost/ folder writable?")
        }
        defer { try? FileManager.default.removeItem(atPath: outputFile) }
        var env = step.commandEnvironment((step.with["env"]?.objectValue ?? [:]).mapValues { $0.stringValue ?? $0.encoded() })
        env["STEPHOST_OUTPUT"] = outputFile
        let mode = step.with["stderr"]?.stringValue.flatMap(StepContext.StderrMode.init(rawValue:)) ?? .merged
        let result = try await step.runProcess(argv, cwd: cwd, environment: env, stderr: mode)
        var outputs = try OutputFile.parse((try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "", masker: step.masker)
        outputs["exitCode"] = .int(result.exitCode)
        guard result.exitCode == 0 else {
            // exec cannot tell a flaky command from a broken one: a step's `retry:` retries it.
            // Its last lines (masked) go with the error, so the failure's annotation says what went wrong.
            let last = result.lastLines(ExecStep.errorLines)
            let message = "command exited with \(result.status)" + (last.isEmpty ? "" : "; its last lines:\n" + last.map { "  " + $0 }.joined(separator: "\n"))
            throw ResponseError.stepFailed(message, retryable: true, exitCode: result.exitCode, outputs: outputs)
        }
        return StepRunResult(outputs: outputs, summary: step.isDryRun ? "ran (read-only) in the dry run" : nil, changed: !step.isDryRun)
    }
}

/// `$STEPHOST_OUTPUT`: `name=value` lines, or `name<<DELIM` … `DELIM` for multi-line values.
enum OutputFile {
    static func parse(_ text: String, masker: Masker) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        var lines = text.components(separatedBy: "\n")[...]
        if lines.last == "" { lines = lines.dropLast() }
        while let line = lines.popFirst() {
            if line.isEmpty { continue }
            if let r = line.range(of: "<<"), !line[..<r.lowerBound].contains("=") {
                let name = String(line[..<r.lowerBound])
                let delim = String(line[r.upperBound...])
                var value: [String] = []
                var closed = false
                while let l = lines.popFirst() {
                    if l == delim { closed = true; break }
                    value.append(l)
                }
                guard closed else { throw ResponseError.stepFailed("$STEPHOST_OUTPUT: '\(name)<<\(delim)' is never closed by a line '\(delim)'") }
                out[name] = .string(value.joined(separator: "\n"))
            } else if let eq = line.firstIndex(of: "=") {
                out[String(line[..<eq])] = .string(String(line[line.index(after: eq)...]))
            } else {
                // Masked whole before it is shortened: a cut never leaves a secret's beginning showing.
                throw ResponseError.stepFailed("$STEPHOST_OUTPUT: line '\(masker.mask(String(line), keeping: 80))' is neither name=value nor name<<DELIMITER")
            }
        }
        return out
    }
}
