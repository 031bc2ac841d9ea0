import Foundation
import StepProcess
import StepProtocol
import Testing

/// `stephost stats` over real runs: its figures against an independent computation (Python's
/// statistics over the runs' summary.json files), and its page rendered by headless Chromium.
@Suite("stats: durations over time", .timeLimit(.minutes(4)))
struct StatsTests {
    static var chromium: String? { ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { Command.which($0) }.first }

    /// Six real runs of two workflows (one of them with a failure), and a dry run that must not count.
    func workspace() async throws -> String {
        let dir = try await TestSupport.gitRepo([:])
        TestSupport.write("\(dir)/stephost.yaml", """
            workflows:
              app:
                steps:
                  - {id: compile, uses: fake, kind: build, with: {mode: echo, ms: 20}}
                  - {id: images, uses: fake, kind: build, for-each: [api, worker], with: {mode: echo, ms: 10}}
                  - id: unit
                    uses: fake
                    kind: test
                    with: {mode: "${{ vars.broken == 'yes' && 'fail' || 'echo' }}", ms: 5}
                  - {id: ship, uses: deployer, with: {mode: echo}}
              docs:
                steps:
                  - {id: site, uses: fake, with: {mode: echo, ms: 15}}
            """)
        let plugins = ["--plugin", "fake=\(TestSupport.fake)", "--plugin", "deployer=\(TestSupport.fake) --name deployer --steps deployer --kind deploy"]
        for vars in [[], [], ["--var", "broken=yes"], []] {
            _ = try await TestSupport.stephost(["run", "app"] + plugins + vars, cwd: dir)
        }
        for _ in 0..<2 { _ = try await TestSupport.stephost(["run", "docs"] + plugins, cwd: dir) }
        let dry = try await TestSupport.stephost(["run", "app", "--dry-run"] + plugins, cwd: dir)
        #expect(dry.code == 0, "\(dry.output)")
        return dir
    }

    /// The same figures computed by Python from the runs' summary.json files.
    static let expected = #"""
    import glob, json, math, statistics, sys
    runs = [json.load(open(p)) for p in glob.glob(".stephost/runs/*/summary.json")]
    runs = sorted((r for r in runs if not r["dryRun"] and (len(sys.argv) < 2 or sys.argv[1] in r["workflows"])), key=lambda r: r["startedAt"])
    if len(sys.argv) > 2: runs = runs[-int(sys.argv[2]):]
    steps, kinds = {}, {}
    for r in runs:
        # In the order they started, as stephost counts them (instances of a for-each run at once).
        for s in sorted(r["steps"], key=lambda s: (s.get("startedAt") or "", s["id"])):
            if s["status"] not in ("success", "failure") or s["attempts"] == 0: continue
            key = (s["workflow"], s["id"].split("[")[0])
            steps.setdefault(key, {"kind": s["kind"], "d": [], "ok": 0})
            for d in (steps[key], kinds.setdefault(s["kind"], {"d": [], "ok": 0})):
                d["d"].append(s["durationMs"]); d["ok"] += s["status"] == "success"
    def rank(v, p):
        v = sorted(v)
        return v[max(1, math.ceil(p / 100 * len(v))) - 1]
    def fig(d):
        return {"count": len(d["d"]), "successRate": round(d["ok"] / len(d["d"]), 3), "medianMs": int(statistics.median(d["d"])), "p95Ms": rank(d["d"], 95)}
    print(json.dumps({"runs": len(runs),
                      "steps": {f"{w}/{s}": dict(fig(d), kind=d["kind"], lastMs=d["d"][-1]) for (w, s), d in steps.items()},
                      "kinds": {k: fig(d) for k, d in kinds.items()}}))
    """#

    func compare(_ dir: String, _ args: [String], pyArgs: [String]) async throws {
        let r = try await TestSupport.stephost(["stats", "--json"] + args, cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let got = try r.summary()
        let py = try await TestSupport.run(["python3", "-c", Self.expected] + pyArgs, cwd: dir)
        let want = try JSONParser.parse(py.stdout)
        #expect(got["runs"] == want["runs"], "\(args)")
        var steps: [String: JSONValue] = [:]
        for s in got["steps"]?.arrayValue ?? [] {
            let key = "\(s["workflow"]?.stringValue ?? "")/\(s["step"]?.stringValue ?? "")"
            steps[key] = .object((s.objectValue ?? [:]).filter { ["kind", "count", "successRate", "medianMs", "p95Ms", "lastMs"].contains($0.key) })
            let median = s["medianMs"]?.intValue ?? 0, last = s["lastMs"]?.intValue ?? 0
            if median > 0, let change = s["changePct"]?.doubleValue {
                #expect(abs(change - Double(last - median) / Double(median) * 100) < 0.051, "changePct of \(key)")
            }
        }
        #expect(JSONValue.object(steps) == want["steps"], "\(args): \(steps) vs \(want["steps"] ?? .null)")
        var kinds: [String: JSONValue] = [:]
        for k in got["kinds"]?.arrayValue ?? [] { kinds[k["kind"]?.stringValue ?? ""] = .object((k.objectValue ?? [:]).filter { $0.key != "kind" }) }
        #expect(JSONValue.object(kinds) == want["kinds"], "\(args)")
    }

    @Test("--json: per step and per kind, for-each instances counted one by one, failures in the rate, dry runs left out; WORKFLOW and --last")
    func figures() async throws {
        let dir = try await workspace()
        try await compare(dir, [], pyArgs: [])
        try await compare(dir, ["app"], pyArgs: ["app"])
        try await compare(dir, ["app", "--last", "2"], pyArgs: ["app", "2"])
        let all = try await TestSupport.stephost(["stats", "--json"], cwd: dir).summary()
        #expect(all["runs"] == 6)
        let unit = all["steps"]?.arrayValue?.first { $0["step"] == "unit" }
        #expect(unit?["count"] == 4 && unit?["successRate"] == 0.75 && unit?["kind"] == "test")
        #expect(all["steps"]?.arrayValue?.first { $0["step"] == "images" }?["count"] == 8)
        #expect(all["steps"]?.arrayValue?.first { $0["step"] == "ship" }?["kind"] == "deploy", "the plugin's declared kind")

        let text = try await TestSupport.stephost(["stats"], cwd: dir)
        #expect(text.stdout.contains("6 runs in") && text.stdout.contains("app/unit") && text.stdout.contains("75%"), "\(text.stdout)")
        let unknown = try await TestSupport.stephost(["stats", "apps"], cwd: dir)
        #expect(unknown.stderr.contains("no recorded run of workflow 'apps'") && unknown.stderr.contains("did you mean 'app'"), "\(unknown.stderr)")
        let bad = try await TestSupport.stephost(["stats", "--last", "0"], cwd: dir)
        #expect(bad.code == 2 && bad.stderr.contains("--last needs a whole number"), "\(bad.stderr)")
    }

    @Test("--html: one self-contained page that headless Chromium renders without errors: a card per kind, the runs stacked by kind, a row per step",
          .enabled(if: chromium != nil || TestSupport.inCI, "needs chromium"))
    func page() async throws {
        let browser = try #require(Self.chromium, "chromium is needed (apt-get install chromium)")
        let dir = try await workspace()
        let r = try await TestSupport.stephost(["stats", "--html", "stats.html"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: "\(dir)/stats.html", encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("url(") && !html.contains("@import"), "nothing fetched")
        #expect(!html.contains("http://") && !html.contains("https://"))

        let profile = TestSupport.tempDir("chromium")
        let base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0"]
        let dom = try await TestSupport.run(base + ["--dump-dom", "file://\(dir)/stats.html"], cwd: dir, timeout: 60)
        #expect(dom.code == 0, "\(dom.stderr)")
        #expect(!dom.stderr.contains("CONSOLE") && !dom.stderr.contains("Uncaught"), "\(dom.stderr)")
        #expect(dom.stdout.components(separatedBy: "class=\"card\"").count - 1 == 4, "a card per kind: build, test, deploy, none")
        #expect(dom.stdout.components(separatedBy: "<tr>").count - 1 == 1 + 5, "a header row and a row per step")
        #expect(dom.stdout.components(separatedBy: "<rect").count - 1 >= 6, "a bar segment per run and kind")

        let png = "\(dir)/stats.png"
        let shot = try await TestSupport.run(base + ["--hide-scrollbars", "--window-size=1200,900", "--screenshot=\(png)", "file://\(dir)/stats.html"],
                                             cwd: dir, timeout: 60)
        #expect(shot.code == 0, "\(shot.stderr)")
        // The PNG's own header: 1200×900, and a real picture (flat white compresses to almost nothing).
        let bytes = try #require(FileManager.default.contents(atPath: png).map { [UInt8]($0) })
        #expect(bytes.count > 20_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(bytes.count) bytes")
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1200 && height == 900)
    }

    @Test("--html after 18 runs: Chromium lays the x-axis labels out without overlap",
          .enabled(if: chromium != nil || TestSupport.inCI, "needs chromium"))
    func labels() async throws {
        let browser = try #require(Self.chromium, "chromium is needed (apt-get install chromium)")
        let dir = try await TestSupport.gitRepo(["stephost.yaml": "workflows:\n  w:\n    steps:\n      - {id: a, uses: exec, with: {run: 'true'}}\n"])
        for _ in 0..<18 { _ = try await TestSupport.stephost(["run", "w", "-q"], cwd: dir) }
        let r = try await TestSupport.stephost(["stats", "--html", "stats.html"], cwd: dir)
        #expect(r.code == 0, "\(r.stderr)")
        // The test's own script measures what Chromium laid out (the page itself has none).
        let page = try String(contentsOfFile: "\(dir)/stats.html", encoding: .utf8)
        let probe = """
            <script>
            const labels = [...document.querySelectorAll('svg text[text-anchor="middle"]')].map(t => t.getBoundingClientRect());
            let overlaps = 0;
            for (let i = 1; i < labels.length; i++) if (labels[i].left < labels[i - 1].right) overlaps++;
            document.body.setAttribute('data-labels', labels.length);
            document.body.setAttribute('data-overlaps', overlaps);
            </script>
            """
        TestSupport.write("\(dir)/measure.html", page.replacingOccurrences(of: "</body>", with: probe + "</body>"))
        let profile = TestSupport.tempDir("chromium")
        let dom = try await TestSupport.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                             "--window-size=1200,900", "--dump-dom", "file://\(dir)/measure.html"], cwd: dir, timeout: 60)
        #expect(dom.code == 0, "\(dom.stderr)")
        let labels = dom.stdout.range(of: #"data-labels="(\d+)""#, options: .regularExpression).map { String(dom.stdout[$0].dropFirst(13).dropLast()) }
        #expect(dom.stdout.contains("data-overlaps=\"0\"") && (Int(labels ?? "") ?? 0) >= 5, "labels \(labels ?? "?"): \(dom.stdout.suffix(300))")
    }

    @Test("a for-each step in one run: 1 run, its instances as executions, no change shown between instances")
    func instancesOfOneRun() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": """
            workflows:
              w:
                steps:
                  - {id: build, uses: exec, for-each: [a, b], with: {run: "sleep 0.${{ item == 'a' && '1' || '3' }}"}}
            """])
        _ = try await TestSupport.stephost(["run", "w", "-q"], cwd: dir)
        let j = try await TestSupport.stephost(["stats", "--json"], cwd: dir).summary()
        let build = j["steps"]?.arrayValue?.first
        #expect(j["runs"] == 1 && build?["runs"] == 1 && build?["count"] == 2 && build?["changePct"] == .null, "\(j)")
        let text = try await TestSupport.stephost(["stats"], cwd: dir).stdout
        // Columns are two spaces apart or more (a duration holds one: "102 ms").
        let row = text.split(separator: "\n").first { $0.hasPrefix("build ") }.map {
            $0.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } ?? []
        #expect(row.count == 9 && row[2] == "1" && row[3] == "2" && row.last == "-", "\(text)")
    }

    @Test("no runs: stats says so, and the page still renders")
    func empty() async throws {
        let dir = try await TestSupport.gitRepo([:])
        let r = try await TestSupport.stephost(["stats"], cwd: dir)
        #expect(r.code == 0 && r.stdout.contains("no runs recorded"), "\(r.output)")
        let j = try await TestSupport.stephost(["stats", "--json"], cwd: dir)
        #expect(try j.summary()["runs"] == 0)
        let h = try await TestSupport.stephost(["stats", "--html", "\(dir)/empty.html"], cwd: dir)
        let page = try String(contentsOfFile: "\(dir)/empty.html", encoding: .utf8)
        #expect(h.code == 0 && page.contains("No recorded runs yet"))
    }
}
