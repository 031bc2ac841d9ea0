import Foundation
import StepManifest

/// `stats --html`: one self-contained page (inline CSS and SVG; no script, font
/// or image fetched from anywhere) with where the time goes per kind and per step.
public struct StatsPage {
    public let stats: RunStats
    public let title: String
    public let generated: String

    public init(stats: RunStats, title: String, generated: String) {
        self.stats = stats; self.title = title; self.generated = generated
    }

    static let palette = ["build": "#3b6fb6", "publish": "#e07b24", "deploy": "#3f9b58", "test": "#9a5fb0", "check": "#2a9d9a", "none": "#9aa0a6"]
    static let spare = ["#c2547a", "#b8a12c", "#5c7cfa", "#8d6e63", "#20a4c8"]

    func color(_ kind: String) -> String {
        if let c = StatsPage.palette[kind] { return c }
        let others = stats.kinds.filter { StatsPage.palette[$0] == nil }
        return StatsPage.spare[(others.firstIndex(of: kind) ?? 0) % StatsPage.spare.count]
    }

    public var html: String {
        let runs = stats.runs
        let span = [runs.first?.startedAt, runs.last?.startedAt].compactMap { $0 }.map(StatsPage.day)
        let subtitle = runs.isEmpty ? "No recorded runs yet: run a workflow, then come back."
            : "\(runs.count) run\(runs.count == 1 ? "" : "s")" + (span.count == 2 ? ", \(span[0]) – \(span[1])" : "")
            + " · \(runs.filter(\.succeeded).count) succeeded"
        var body = """
        <header><h1>\(esc(title))</h1><p>\(esc(subtitle))</p></header>
        <section class="cards">\(stats.kinds.map(kindCard).joined())</section>

        """
        if !runs.isEmpty {
            body += "<section class=\"panel\"><h2>Time per run, by kind</h2>\(legend)\(stackedBars)</section>\n"
        }
        body += "<section class=\"panel\"><h2>Steps</h2>\(stepTable)</section>\n"
        body += "<footer>\(esc(generated)) · executions are steps and for-each instances that succeeded or failed; skipped, cancelled, reused steps and dry runs are left out</footer>"
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>\(StatsPage.css)</style></head>
        <body><main>
        \(body)
        </main></body></html>

        """
    }

    static let css = """
    :root{--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--bad:#cf222e}
    *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
    main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}h1{font-size:24px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}
    header p{margin:0 0 20px;color:var(--muted)}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;margin-bottom:16px}
    .card,.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}.panel{margin-bottom:16px;overflow-x:auto}
    .card h3{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.06em;display:flex;align-items:center;gap:8px}
    .dot{width:10px;height:10px;border-radius:50%;display:inline-block}.big{font-size:22px;font-weight:600}.muted{color:var(--muted)}
    .card .muted{font-size:12px}.card .row{display:flex;justify-content:space-between;color:var(--muted);font-size:12px}
    table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
    th{font-size:12px;color:var(--muted);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    .badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}.up{color:var(--bad)}.down{color:var(--ok)}
    .legend{display:flex;gap:16px;flex-wrap:wrap;margin:-4px 0 8px;color:var(--muted);font-size:12px}.legend span{display:flex;align-items:center;gap:6px}
    svg text{font:11px system-ui,sans-serif;fill:var(--muted)}footer{color:var(--muted);font-size:12px;margin-top:8px}
    """

    // MARK: - Parts

    private func kindCard(_ kind: String) -> String {
        let e = stats.executions(ofKind: kind)
        let f = RunStats.Figures(e)
        return """
        <div class="card"><h3><span class="dot" style="background:\(color(kind))"></span>\(esc(kind))</h3>
        <div class="big">\(StatsPage.duration(f.medianMs))</div><div class="muted">median of \(f.count) execution\(f.count == 1 ? "" : "s")</div>
        \(sparkline(e, color: color(kind), width: 168, height: 36))
        <div class="row"><span>p95 \(StatsPage.duration(f.p95Ms))</span><span>\(StatsPage.percent(f.successRate)) ok</span></div></div>
        """
    }

    private var legend: String {
        "<div class=\"legend\">" + stats.kinds.map { "<span><i class=\"dot\" style=\"background:\(color($0))\"></i>\(esc($0))</span>" }.joined()
            + "<span><i class=\"dot\" style=\"background:var(--bad)\"></i>run failed</span></div>"
    }

    /// Per run, the time its executions of each kind took, stacked.
    private var stackedBars: String {
        let runs = stats.runs, kinds = stats.kinds
        var totals = Array(repeating: [String: Int](), count: runs.count)
        for s in stats.steps { for e in s.executions { totals[e.run][s.kind, default: 0] += e.durationMs } }
        let top = StatsPage.niceCeiling(max(totals.map { $0.values.reduce(0, +) }.max() ?? 0, 1))
        let w = 1040.0, h = 240.0, left = 64.0, bottom = 28.0, plotH = h - bottom - 10
        let slot = (w - left - 10) / Double(max(runs.count, 1)), bar = min(slot * 0.7, 36)
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"time per run by kind\">"
        for k in 0...5 {
            let v = top * k / 5, y = 10 + plotH - plotH * Double(k) / 5
            svg += "<line x1=\"\(left)\" x2=\"\(w - 10)\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#e6e9ed\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(StatsPage.duration(v))</text>"
        }
        // A label ("12-07 19:45", 11px) is about 75 px wide: label every n-th run so that labels are 90 px apart at least.
        let every = max(1, Int((StatsPage.labelSpacing / slot).rounded(.up)))
        for (i, run) in runs.enumerated() {
            let x = left + slot * Double(i) + (slot - bar) / 2
            var y = 10 + plotH
            for kind in kinds {
                guard let ms = totals[i][kind], ms > 0 else { continue }
                let hh = plotH * Double(ms) / Double(top)
                y -= hh
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(bar))\" height=\"\(f(max(hh, 0.5)))\" rx=\"2\" fill=\"\(color(kind))\">"
                    + "<title>\(esc(run.id)) · \(esc(kind)): \(StatsPage.duration(ms))</title></rect>"
            }
            if !run.succeeded { svg += "<circle cx=\"\(f(x + bar / 2))\" cy=\"\(f(h - bottom + 8))\" r=\"3.5\" fill=\"#cf222e\"><title>\(esc(run.id)) failed</title></circle>" }
            if i % every == 0 {
                svg += "<text x=\"\(f(x + bar / 2))\" y=\"\(f(h - 4))\" text-anchor=\"middle\">\(esc(run.startedAt.map(StatsPage.short) ?? "#\(i + 1)"))</text>"
            }
        }
        return svg + "</svg>"
    }

    private var stepTable: String {
        guard !stats.steps.isEmpty else { return "<p class=\"muted\">No step has run yet.</p>" }
        let multi = Set(stats.steps.map(\.workflow)).count > 1
        var t = "<table><thead><tr><th>Step</th><th>Kind</th><th class=\"num\">Runs</th><th class=\"num\">Success</th><th class=\"num\">Median</th>"
            + "<th class=\"num\">p95</th><th class=\"num\">Last</th><th class=\"num\">Change</th><th>Over the runs</th></tr></thead><tbody>"
        for s in stats.steps {
            let fig = s.figures
            let change = fig.changePct.map { p in
                "<span class=\"\(p > 10 ? "up" : p < -10 ? "down" : "muted")\">\(p > 0 ? "+" : "")\(StatsPage.oneDecimal(p))%</span>"
            } ?? "<span class=\"muted\">–</span>"
            t += "<tr><td>\(esc(multi ? "\(s.workflow)/\(s.step)" : s.step))</td>"
                + "<td><span class=\"badge\" style=\"background:\(color(s.kind))\">\(esc(s.kind))</span></td>"
                + "<td class=\"num\">\(fig.count)</td><td class=\"num\">\(StatsPage.percent(fig.successRate))</td>"
                + "<td class=\"num\">\(StatsPage.duration(fig.medianMs))</td><td class=\"num\">\(StatsPage.duration(fig.p95Ms))</td>"
                + "<td class=\"num\">\(StatsPage.duration(fig.lastMs))</td><td class=\"num\">\(change)</td>"
                + "<td>\(sparkline(s.executions, color: color(s.kind), width: 220, height: 30))</td></tr>"
        }
        return t + "</tbody></table>"
    }

    /// Each execution a dot at its run (red when it failed), the per-run medians joined by a line.
    private func sparkline(_ e: [RunStats.Execution], color: String, width: Double, height: Double) -> String {
        let n = max(stats.runs.count, 1)
        let top = Double(max(e.map(\.durationMs).max() ?? 1, 1))
        func x(_ run: Int) -> Double { n == 1 ? width / 2 : 4 + (width - 8) * Double(run) / Double(n - 1) }
        func y(_ ms: Int) -> Double { height - 4 - (height - 8) * Double(ms) / top }
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        let byRun = Dictionary(grouping: e, by: \.run).sorted { $0.key < $1.key }
        let points = byRun.map { run, list in "\(f(x(run))),\(f(y(RunStats.percentile(list.map(\.durationMs).sorted(), 50))))" }
        if points.count > 1 { svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" opacity=\".55\"/>" }
        for ex in e {
            svg += "<circle cx=\"\(f(x(ex.run)))\" cy=\"\(f(y(ex.durationMs)))\" r=\"2.6\" fill=\"\(ex.succeeded ? color : "#cf222e")\">"
                + "<title>\(esc(ex.instance)): \(StatsPage.duration(ex.durationMs))\(ex.succeeded ? "" : " (failed)")</title></circle>"
        }
        return svg + "</svg>"
    }

    // MARK: - Formatting

    private func esc(_ s: String) -> String { StatsPage.escape(s) }
    private func f(_ d: Double) -> String { String(format: "%.1f", d) }

    public static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }

    /// `850 ms`, `12.3 s`, `4m 05s`.
    public static func duration(_ ms: Int) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return "\(oneDecimal(Double(ms) / 1000)) s" }
        let s = ms / 1000
        return s < 3600 ? "\(s / 60)m \(String(format: "%02d", s % 60))s" : "\(s / 3600)h \(String(format: "%02d", s / 60 % 60))m"
    }

    static func oneDecimal(_ d: Double) -> String { String(format: "%.1f", d) }
    static func percent(_ r: Double) -> String { "\(Int((r * 100).rounded()))%" }

    /// 1, 2 or 5 times a power of ten, at least `v`: the top of a chart's axis.
    static func niceCeiling(_ v: Int) -> Int {
        var p = 1
        while p * 10 <= v { p *= 10 }
        for m in [1, 2, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    /// The least distance between the centres of two x-axis labels, in pixels (a label and a gap).
    static let labelSpacing = 90.0

    static func day(_ d: Date) -> String { String(Timestamp.rfc3339(d).prefix(10)) }
    static func short(_ d: Date) -> String {
        let t = Timestamp.rfc3339(d)
        return String(t.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " ")
    }
}
