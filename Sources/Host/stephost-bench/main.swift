import Foundation
import StepHost
import StepProtocol

// stephost-bench: what the host costs with no process at all. `stephost-bench scheduler N [--no-record]`
// runs N independent no-op steps through the scheduler, the executor and (unless --no-record) the run
// record, every attempt answered in memory, and prints the time per step. benchmarks/run.sh runs it.

struct Quiet: RunReporter { func report(_ event: RunEvent) {} }

let args = Array(CommandLine.arguments.dropFirst())
guard args.first == "scheduler", args.count >= 2, let n = Int(args[1]), n > 0 else {
    FileHandle.standardError.write(Data("usage: stephost-bench scheduler N [--no-record] [-j N]\n".utf8))
    exit(2)
}
let record = !args.contains("--no-record")
let jobs = args.firstIndex(of: "-j").flatMap { Int(args[$0 + 1]) } ?? 2
let dir = NSTemporaryDirectory() + "stephost-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }
var manifest = "workflows:\n  w:\n    steps:\n"
for i in 0..<n { manifest += "      - {id: s\(i), uses: work, needs: []}\n" }
guard FileManager.default.createFile(atPath: "\(dir)/stephost.yaml", contents: Data(manifest.utf8)) else {
    fatalError("cannot write \(dir)/stephost.yaml")
}
var r = RunRequest(manifestPath: "\(dir)/stephost.yaml", jobs: jobs, pluginSearch: .init(currentDirectory: dir),
                   hostDirectory: dir, hostEnvironment: [:], hostVersion: "bench")
r.workflow = "w"
r.workspace = dir
let runner = InMemoryStepRunner { _, _ in .success(outputs: [:]) }
let prepared = try await Runner.prepare(r, reporter: Quiet(), steps: [StepDescription(name: "work", inputs: ["type": "object"])], runner: runner)
let start = DispatchTime.now()
let summary = await Runner.execute(prepared, reporter: Quiet(), writeRecord: record)
let ns = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds)
guard summary.exitCode == 0 else { print("the run failed"); exit(1) }
print(String(format: "%d steps in %.1f ms: %.1f µs a step (-j%d, %@)", n, ns / 1e6, ns / 1e3 / Double(n), jobs, record ? "with the run record" : "no run record"))
