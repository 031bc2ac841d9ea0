import Foundation
import StepJournal
import StepMask
import StepProtocol
import StepRun

// stephost-bench: what the host costs with no process at all. `stephost-bench scheduler N [--no-record]`
// runs N independent no-op steps through the scheduler, the executor and (unless --no-record) the run
// record, every attempt answered in memory, and prints the time per step. `stephost-bench mask` measures the
// masker: text of growing size against 1,000 and 10,000 values, and 10,000 values added one by one between
// masked lines (a plugin's mask flood). benchmarks/run.sh runs both.

struct Quiet: RunReporter { func report(_ event: RunEvent) {} }

let args = Array(CommandLine.arguments.dropFirst())
if args.first == "mask" { maskBenchmark(); exit(0) }
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
let runner = InMemoryAttemptRunner { _, _ in .success(outputs: [:]) }
let prepared = try await Runner.prepare(r, reporter: Quiet(), steps: [StepDescription(name: "work", inputs: ["type": "object"])], runner: runner)
let preparedRSS = residentMB()
let start = DispatchTime.now()
let summary = await Runner.execute(prepared, reporter: Quiet(), writeRecord: record)
let ns = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds)
guard summary.exitCode == 0 else { print("the run failed"); exit(1) }
print(String(format: "%d steps in %.1f ms: %.1f µs a step (-j%d, %@); resident %.0f MB prepared, %.0f MB after the run",
             n, ns / 1e6, ns / 1e3 / Double(n), jobs, record ? "with the run record" : "no run record", preparedRSS, residentMB()))

/// This process's resident memory now, in MB (VmRSS).
func residentMB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
}

/// Seconds `body` takes (the best of three).
func seconds(_ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<3 {
        let t = DispatchTime.now()
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9)
    }
    return best
}

func maskBenchmark() {
    var rng = SystemRandomNumberGenerator()
    func value(_ k: Int) -> String { "secret-\(k)-" + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement(using: &rng)! }) }
    let line = "a log line with ordinary words, paths /usr/lib/x and numbers 12345 that hold no secret at all\n"
    for count in [1_000, 10_000] {
        let m = Masker()
        for k in 0..<count { m.add(value(k)) }
        _ = m.mask("warm up")
        var perMiB: [Double] = []
        for mib in [1, 4, 16] {
            let text = String(repeating: line, count: mib * 1_048_576 / line.utf8.count) + value(0)
            let t = seconds { _ = m.mask(text) }
            perMiB.append(t / Double(mib))
            print(String(format: "mask %2d MiB against %5d values: %.3f s, %.0f MiB/s", mib, count, t, Double(mib) / t))
        }
        print(String(format: "  time per MiB at 16 MiB / at 1 MiB: %.2fx (linear: about 1)", perMiB[2] / perMiB[0]))
    }
    // The flood: values added one at a time, each followed by a masked line (the old masker was quadratic here).
    for n in [2_500, 10_000] {
        let t = seconds {
            let m = Masker()
            for k in 0..<n { m.add(value(k)); _ = m.mask(line) }
        }
        print(String(format: "%5d values added one by one, a line masked after each: %.3f s (%.1f µs a value)", n, t, t / Double(n) * 1e6))
    }
}
