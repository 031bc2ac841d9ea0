import Foundation
import StepManifest
import StepReporting
import StepMask
import StepProcess
import StepProtocol

/// `--github-output NAME=EXPR`: after the run, each EXPR's value (as JSON) appended to the file
/// `GITHUB_OUTPUT` names, as `NAME<<DELIM` … `DELIM`.
enum GitHubOutputs {
    struct Problem: Error, CustomStringConvertible { var description: String }

    static func parse(_ specs: [String]) throws -> [(name: String, expression: String)] {
        try specs.map { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw Problem(description: "--github-output takes NAME=EXPRESSION, got '\(spec)'")
            }
            let name = String(spec[..<eq])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw Problem(description: "--github-output: '\(name)' is not an output name (letters, digits, _ and -)")
            }
            return (name, String(spec[spec.index(after: eq)...]))
        }
    }

    /// Writes every output it can; returns true when one could not be written (a value holding
    /// a secret, which GitHub would drop silently, an expression that fails, or no file).
    static func write(_ outputs: [(name: String, expression: String)], summary: RunSummary, masker: Masker, file: String?) -> Bool {
        guard let file, !file.isEmpty else {
            Console.err("stephost: --github-output: GITHUB_OUTPUT is not set, so no output was written\n")
            return true
        }
        var failed = false
        var text = ""
        for o in outputs {
            let value: JSONValue
            do { value = try summary.evaluate(o.expression) } catch {
                Console.err("stephost: --github-output \(o.name): \(masker.mask(error.message))\n")
                failed = true
                continue
            }
            let encoded = value.stringValue ?? value.encoded()
            if masker.mask(encoded) != encoded {
                Console.err("stephost: --github-output \(o.name): the value holds a secret, so it is not written (GitHub would drop it)\n")
                failed = true
                continue
            }
            var delimiter = "stephost_\(WorkflowCommands.token())"
            while encoded.contains(delimiter) { delimiter = "stephost_\(WorkflowCommands.token())" }
            text += "\(o.name)<<\(delimiter)\n\(encoded)\n\(delimiter)\n"
        }
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            Console.err("stephost: --github-output: cannot append to \(file): \(String(cString: strerror(errno)))\n")
            return true
        }
        FileDescriptor.writeAll(fd, Array(text.utf8))
        close(fd)
        return failed
    }
}
