import Foundation
import StepProcess
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

extension PluginCheck {
    /// One plugin process, checked rule by rule in the order of the protocol's lifecycle.
    struct Session {
        let check: PluginCheck
        let probe: PluginProbe
        var initResult: JSONValue?
        var nextID = 1
        let tempDir = NSTemporaryDirectory() + "stephost-check-\(getpid())"

        /// Whether the plugin's exit (and its stderr) was told already.
        let exitTold = Locked(0)

        init(check: PluginCheck, probe: PluginProbe) { self.check = check; self.probe = probe }

        /// Why an answer did not come: the plugin's exit with its last stderr lines (a traceback) the first
        /// time, that it had exited after that; else `waited` (it is still running, and said nothing in time).
        func noAnswer(_ waited: String) -> (detail: String, received: String?) {
            guard probe.stdoutClosed, let status = probe.process.waitForExit(seconds: 1) else { return (waited, nil) }
            if exitTold.increment() > 1 { return ("the plugin had exited (\(status))", nil) }
            let tail = probe.stderrLines.suffix(12)
            return ("the plugin exited (\(status)) instead of answering",
                    "\(status)" + (tail.isEmpty ? "" : "; its last stderr lines:\n" + tail.joined(separator: "\n")))
        }

        mutating func id() -> Int { nextID += 1; return nextID }

        typealias R = PluginCheck.Result

        mutating func initialize() -> [R] {
            let sent = PluginCheck.request(1, "initialize", ["protocolVersion": 1, "host": ["name": "stephost", "version": "check"]])
            let started = Date()
            probe.send(sent)
            let (answer, _) = probe.answer(to: 1, within: check.initTimeout)
            let rule = "initialize is answered within the init timeout (\(Int(check.initTimeout)) s)"
            guard let answer else {
                return [R(rule: rule, status: .fail, detail: "stderr: \(probe.stderrLines.suffix(3).joined(separator: " | "))", sent: sent, received: nil)]
            }
            guard let result = answer["result"], result.objectValue != nil else {
                return [R(rule: rule, status: .fail, detail: "the answer has no result object", sent: sent, received: PluginCheck.show(answer))]
            }
            initResult = result
            var out = [R(rule: rule, status: .pass, detail: "in \(Int(Date().timeIntervalSince(started) * 1000)) ms")]
            let version = result["protocolVersion"]
            out.append(version == 1 ? R(rule: "protocolVersion is 1", status: .pass)
                       : R(rule: "protocolVersion is 1", status: .fail, sent: sent, received: PluginCheck.show(version ?? .null)))
            let name = result["plugin"]?["name"]?.stringValue ?? "", v = result["plugin"]?["version"]?.stringValue ?? ""
            out.append(!name.isEmpty && !v.isEmpty ? R(rule: "plugin gives its name and version", status: .pass, detail: "\(name) \(v)")
                       : R(rule: "plugin gives its name and version", status: .fail, sent: sent, received: PluginCheck.show(result["plugin"] ?? .null)))
            var stepProblems: [String] = []
            let steps = result["steps"]?.arrayValue ?? []
            if steps.isEmpty { stepProblems.append("steps is empty or missing") }
            for (k, s) in steps.enumerated() {
                guard let n = s["name"]?.stringValue, !n.isEmpty else { stepProblems.append("steps[\(k)] has no name"); continue }
                if let inputs = s["inputs"] { stepProblems += InputSchemaSamples.problems(inputs, at: "steps[\(k)] (\(n)).inputs") }
                else { stepProblems.append("steps[\(k)] (\(n)) has no inputs schema") }
            }
            let stepsRule = "each step has a name and an input schema that is a valid schema"
            out.append(stepProblems.isEmpty ? R(rule: stepsRule, status: .pass, detail: steps.compactMap { $0["name"]?.stringValue }.joined(separator: ", "))
                       : R(rule: stepsRule, status: .fail, detail: stepProblems.joined(separator: "; "), sent: sent, received: PluginCheck.show(result["steps"] ?? .null)))
            var capProblems: [String] = []
            if let c = result["capabilities"] {
                if c.objectValue == nil { capProblems.append("capabilities is not an object") }
                if let n = c["concurrency"], (n.intValue ?? 0) < 1 { capProblems.append("concurrency \(n.encoded()) is not a whole number of at least 1") }
                for k in ["dryRun", "cancel"] { if let b = c[k], b.boolValue == nil { capProblems.append("\(k) \(b.encoded()) is not true or false") } }
            }
            out.append(capProblems.isEmpty ? R(rule: "capabilities are well-formed", status: .pass, detail: PluginCheck.show(result["capabilities"] ?? .null) ?? "")
                       : R(rule: "capabilities are well-formed", status: .fail, detail: capProblems.joined(separator: "; "), sent: sent,
                           received: PluginCheck.show(result["capabilities"])))
            return out
        }

        /// The answer's error code, or nil.
        static func code(_ answer: JSONValue?) -> Int? { answer?["error"]?["code"]?.intValue }

        func expectError(_ rule: String, sent: String, id: JSONValue, code: Int) -> R {
            probe.send(sent)
            let answer = probe.answer(to: id, within: check.answerTimeout).answer
            if Session.code(answer) == code { return R(rule: rule, status: .pass) }
            guard answer != nil else {
                let why = noAnswer("no answer within \(Int(check.answerTimeout)) s")
                return R(rule: rule, status: .fail, detail: why.detail, sent: sent, received: why.received)
            }
            return R(rule: rule, status: .fail, detail: "expected error \(code)", sent: sent, received: PluginCheck.show(answer))
        }

        mutating func stepRun(_ id: Int, uses: String, with: [String: JSONValue], dryRun: Bool) -> String {
            let dir = "\(tempDir)/\(id)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return PluginCheck.request(id, "step/run", [
                "step": ["id": .string("check-\(id)"), "uses": .string(uses), "attempt": 1, "environment": .null],
                "run": ["id": "20260101T000000Z-c0de", "workflow": "check", "environment": .null, "event": "manual", "branch": "", "sha": "", "base": ""],
                "with": .object(with), "env": [:], "secrets": [:], "workspace": .string(check.target.directory), "tempDir": .string(dir),
                "dryRun": .bool(dryRun),
            ])
        }

        mutating func requests(_ result: JSONValue) -> [R] {
            var out: [R] = []
            let unknown = id()
            out.append(expectError("an unknown method is answered -32601", sent: PluginCheck.request(unknown, "stephost/no-such-method", [:]),
                                   id: .int(unknown), code: -32601))
            let noStep = id()
            out.append(expectError("a step/run for a step it does not provide is answered -32601",
                                   sent: stepRun(noStep, uses: "stephost-check-no-such-step", with: [:], dryRun: true), id: .int(noStep), code: -32601))
            out.append(expectError("a line that is not JSON is answered -32700", sent: "this line is not JSON {", id: .null, code: -32700))
            let inBatch = id()
            out.append(expectError("a batch is answered -32600", sent: "[\(PluginCheck.request(inBatch, "stephost/no-such-method", [:]))]", id: .null, code: -32600))

            let step = result["steps"]?.arrayValue?.first
            let name = step?["name"]?.stringValue ?? ""
            let refusedRule = "a step/run whose inputs its schema refuses is answered -32602"
            if let (inputs, why) = InputSchemaSamples.refused(step?["inputs"]) {
                let rid = id()
                var r = expectError(refusedRule, sent: stepRun(rid, uses: name, with: inputs, dryRun: true), id: .int(rid), code: -32602)
                if r.status == .pass { r.detail = "\(name): \(why)" }
                out.append(r)
            } else {
                out.append(R(rule: refusedRule, status: .skip, detail: "the schema of '\(name)' refuses no inputs"))
            }

            let caps = result["capabilities"]
            let dryRule = "a dry-run step/run with minimal inputs is answered"
            let notesRule = "notifications carry the id of their step/run"
            if caps?["dryRun"]?.boolValue == true {
                let did = id()
                let sent = stepRun(did, uses: name, with: InputSchemaSamples.minimal(step?["inputs"]), dryRun: true)
                probe.send(sent)
                let (answer, others) = probe.answer(to: .int(did), within: 30)
                out.append(answer != nil ? R(rule: dryRule, status: .pass, detail: answer?["error"] != nil ? "answered with an error: \(answer?["error"]?["message"]?.stringValue ?? "")" : "")
                           : { let why = noAnswer("no answer within 30 s"); return R(rule: dryRule, status: .fail, detail: why.detail, sent: sent, received: why.received) }())
                let notes = others.filter { $0["method"] != nil }
                let wrong = notes.filter { $0["params"]?["id"] != .int(did) }
                out.append(notes.isEmpty ? R(rule: notesRule, status: .skip, detail: "the step sent no notification")
                           : wrong.isEmpty ? R(rule: notesRule, status: .pass, detail: "\(notes.count) notification\(notes.count == 1 ? "" : "s")")
                           : R(rule: notesRule, status: .fail, sent: sent, received: PluginCheck.show(wrong[0])))
            } else {
                out.append(R(rule: dryRule, status: .skip, detail: "the plugin does not declare capabilities.dryRun"))
                out.append(R(rule: notesRule, status: .skip, detail: "no step was run (no dry run)"))
            }

            let cancelRule = "$/cancel of a running step is answered -32800 within the cancel grace (\(Int(check.cancelGrace)) s)"
            if caps?["cancel"]?.boolValue == true && caps?["dryRun"]?.boolValue == true {
                let cid = id()
                let sent = stepRun(cid, uses: name, with: InputSchemaSamples.minimal(step?["inputs"]), dryRun: true)
                let cancel = Message.notification(method: CancelNotification.method, params: CancelNotification(id: .number(cid)).json).json().encoded()
                probe.send(sent)
                probe.send(cancel)
                let answer = probe.answer(to: .int(cid), within: check.cancelGrace).answer
                if Session.code(answer) == -32800 { out.append(R(rule: cancelRule, status: .pass)) }
                else if answer != nil { out.append(R(rule: cancelRule, status: .skip, detail: "the step ended before $/cancel reached it")) }
                else {
                    let why = noAnswer("no answer")
                    out.append(R(rule: cancelRule, status: .fail, detail: why.detail, sent: sent + "\n                " + cancel, received: why.received))
                }
            } else {
                out.append(R(rule: cancelRule, status: .skip, detail: "the plugin does not declare capabilities.cancel (and dryRun)"))
            }
            return out
        }

        mutating func shutdown() -> [R] {
            let sid = id()
            let sent = PluginCheck.request(sid, "shutdown", .null)
            probe.send(sent)
            let answer = probe.answer(to: .int(sid), within: 5).answer
            var out: [R] = []
            let rule = "shutdown is answered null within 5 s"
            if answer?["result"] == .null && answer?["error"] == nil {
                out.append(R(rule: rule, status: .pass))
            } else if answer == nil {
                let why = noAnswer("")
                out.append(R(rule: rule, status: .fail, detail: why.detail, sent: sent, received: why.received))
            } else {
                out.append(R(rule: rule, status: .fail, sent: sent, received: PluginCheck.show(answer)))
            }
            probe.closeStdin()
            let exitRule = "after shutdown and end of stdin the process exits 0 within 5 s"
            if let status = probe.process.waitForExit(seconds: 5) {
                out.append(status == .exited(0) ? R(rule: exitRule, status: .pass)
                           : R(rule: exitRule, status: .fail, detail: "it ended with \(status)", sent: sent + ", then end of file", received: "\(status)"))
            } else {
                out.append(R(rule: exitRule, status: .fail, detail: "still running after 5 s", sent: sent + ", then end of file", received: nil))
            }
            try? FileManager.default.removeItem(atPath: tempDir)
            return out
        }

        func strayOutput() -> R {
            let rule = "stdout carries only JSON-RPC messages"
            let stray = probe.strayLines
            return stray.isEmpty ? R(rule: rule, status: .pass)
                : R(rule: rule, status: .fail, detail: "\(stray.count) other line\(stray.count == 1 ? "" : "s") (a host stops the plugin at the first)",
                    received: stray[0])
        }

        func children() -> R {
            let rule = "no process it started outlives it"
            guard probe.process.exitStatus != nil else { return R(rule: rule, status: .skip, detail: "the plugin did not exit") }
            let left = probe.groupMembers
            return left.isEmpty ? R(rule: rule, status: .pass)
                : R(rule: rule, status: .fail, detail: "still running in its process group after it exited: pid \(left.map(String.init).joined(separator: ", ")) (stopped now)",
                    received: left.compactMap { try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8).replacingOccurrences(of: "\0", with: " ") }.joined(separator: "; "))
        }
    }
}
