import Foundation
import StepMask
import StepProtocol
#if canImport(Glibc)
import Glibc
#endif

/// What the plugin writes: answers, notifications, requests, and the ways its streams end.
extension PluginConnection {
    func resolve(_ id: RequestID, _ reply: Reply) {
        lock.lock()
        guard outstanding.remove(id) != nil else { lock.unlock(); return }
        listeners[id] = nil
        if let c = waiting.removeValue(forKey: id) {
            lock.unlock()
            c.resume(returning: reply)
        } else {
            early[id] = reply
            lock.unlock()
        }
    }

    /// Fails every outstanding and later request.
    func fail(_ f: PluginFailure, terminate shouldTerminate: Bool) {
        lock.lock()
        if failure == nil { failure = f }
        let failure = self.failure!
        let ids = outstanding
        lock.unlock()
        for id in ids { resolve(id, .failed(failure)) }
        if shouldTerminate { terminate(reason: failure.message) }
    }

    public func violation(_ what: String, line: [UInt8]?) {
        var m = "plugin '\(name)' broke the protocol: \(what)"
        if let line {
            // Masked whole, then shortened: a cut never leaves the beginning of a secret showing.
            let masked = Array(masker.mask(String(decoding: line, as: UTF8.self)).utf8)
            let shown = String(decoding: masked.prefix(200), as: UTF8.self)
            m += ": \(JSONValue.string(shown).encoded())\(masked.count > 200 ? "…" : "")"
        }
        fail(PluginFailure(.protocolViolation, m, stderrTail: stderrTail), terminate: true)
    }

    func receiveStdout(_ bytes: [UInt8]) {
        if bytes.isEmpty { return stdoutClosed() }
        lock.lock()
        let items = framer.append(bytes)
        let broken = failure != nil && failure!.kind == .protocolViolation
        lock.unlock()
        if broken { return }
        for item in items {
            switch item {
            case .tooLong(let n):
                return violation("a stdout line is longer than 8 MiB (\(n) bytes so far)", line: nil)
            case .line(let line):
                if !handle(line) { return }
            }
        }
    }

    /// Handles one stdout line; false after a protocol violation.
    func handle(_ line: [UInt8]) -> Bool {
        tap?(false, line)
        // Most lines are log notifications: read those without the general decoder.
        if let n = LogNotification.decode(line: line) {
            deliver(.log(n), to: n.id)
            return true
        }
        let message: Message
        do { message = try Message.decode(line: line) } catch {
            let why = error.message.replacingOccurrences(of: "Parse error: ", with: "").replacingOccurrences(of: "Invalid Request: ", with: "")
            violation(error.code == .parseError ? "a stdout line is not JSON (\(why))" : "a stdout line is not a JSON-RPC 2.0 message (\(why))", line: line)
            return false
        }
        switch message {
        case .response(let id, let result):
            guard isOutstanding(id) else { violation("a response to unknown request id \(id)", line: line); return false }
            resolve(id, .result(result))
        case .errorResponse(let id?, let error):
            guard isOutstanding(id) else { violation("an error response to unknown request id \(id)", line: line); return false }
            resolve(id, .error(error))
        case .errorResponse(nil, let error):
            violation("an error response without an id (\(error.message))", line: line)
            return false
        case .notification(let method, let params):
            let notice: Notice?
            switch method {
            case LogNotification.method: notice = (try? LogNotification(json: params ?? .null)).map(Notice.log)
            case ProgressNotification.method: notice = (try? ProgressNotification(json: params ?? .null)).map(Notice.progress)
            case MaskNotification.method: notice = (try? MaskNotification(json: params ?? .null)).map(Notice.mask)
            default: notice = nil  // unknown notifications are ignored
            }
            guard let notice else { break }
            switch notice {
            case .log(let n): deliver(notice, to: n.id)
            case .progress(let n): deliver(notice, to: n.id)
            case .mask(let n): deliver(notice, to: n.id)
            }
        case .request(let id, let method, _):
            write(Message.errorResponse(id: id, error: ResponseError(code: .methodNotFound, message: "Method not found: \(method)")).encodedLine())
        }
        return true
    }

    /// Passes a notification to the listener of the request it belongs to (none: it is dropped).
    func deliver(_ notice: Notice, to id: RequestID) {
        lock.lock()
        let listener = listeners[id]
        lock.unlock()
        listener?(notice)
    }

    func stdoutClosed() {
        lock.lock()
        let rest = framer.finish()
        lock.unlock()
        for case .line(let l) in rest { if !handle(l) { break } }
        // Every answer the plugin wrote has been read; now learn why stdout ended,
        // and let stderr drain (bounded: a grandchild may hold it open).
        let status = process.waitForExit(seconds: 2)
        if status != nil, stderrEnded.wait(timeout: .now() + 1) == .success { stderrEnded.signal() }
        lock.lock()
        let tail = stderr.lastLines
        let terminatedByHost = teardownLevel >= .sigterm
        lock.unlock()
        if let status {
            let what = terminatedByHost ? "plugin process terminated" : "plugin '\(name)' exited (\(status))"
            fail(PluginFailure(terminatedByHost ? .terminated : .exited, what + " while a request was outstanding", stderrTail: tail), terminate: false)
            process.signalGroup(SIGKILL)
        } else {
            fail(PluginFailure(.stdoutClosed, "plugin '\(name)' closed its stdout while still running", stderrTail: tail), terminate: true)
        }
    }

    func receiveStderr(_ bytes: [UInt8]) {
        lock.lock()
        let lines = (bytes.isEmpty ? stderr.append(stderrMask.finish()) + stderr.finish() : stderr.append(stderrMask.feed(bytes)))
            .map(Masker.redactingURLCredentials)
        let serving = steps.isEmpty ? lastSteps : steps
        for step in serving where stepTails[step] != nil {
            stepTails[step]?.append(contentsOf: overlapped.contains(step) ? lines.map { PluginConnection.sharedMark + $0 } : lines)
            if let n = stepTails[step]?.count, n > PluginConnection.stepTailLines { stepTails[step]?.removeFirst(n - PluginConnection.stepTailLines) }
        }
        lock.unlock()
        for l in lines { onStderrLine(self, l) }
        if bytes.isEmpty { stderrEnded.signal() }
    }
}
