import Foundation
import StepAuthoring
import StepProcess
import StepProtocol

/// `stephost __replay FILE`: a recorded plugin played back (run --replay DIR starts one per recording). The
/// protocol loop lives here, in the executable; `PluginReplayer` (the library) matches requests to recordings.
enum ReplayCommand {
    /// Serves the protocol on stdin/stdout until end of file.
    static func serve(recording file: String) -> Int32 {
        var replayer: PluginReplayer
        do { replayer = try PluginReplayer(recording: file) } catch {
            Console.err("stephost replay: \(error)\n")
            return 1
        }
        func send(_ m: Message) { FileDescriptor.writeAll(1, m.encodedLine()) }
        while let line = readLine() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            guard let m = try? JSONParser.parse(line), m.objectValue != nil else {
                send(.errorResponse(id: nil, error: ResponseError(code: .parseError, message: "Parse error")))
                continue
            }
            // Notifications ($/cancel) need nothing: every answer here is given at once.
            guard let idValue = m["id"], let id = RequestID(json: idValue) else { continue }
            switch m["method"]?.stringValue {
            case InitializeRequest.method: send(.response(id: id, result: replayer.initialize ?? .null))
            case ShutdownRequest.method: send(.response(id: id, result: .null))
            case StepRunRequest.method:
                // Recorded messages (answers, notifications) go out as they were recorded, ids renumbered.
                for out in replayer.play(id: id, params: m["params"] ?? [:]) { FileDescriptor.writeAll(1, Array((out.encoded() + "\n").utf8)) }
            default: send(.errorResponse(id: id, error: ResponseError(code: .methodNotFound, message: "Method not found")))
            }
        }
        return 0
    }
}
