import Foundation
import StepYAML

/// One row of the manifest's `hints:` table: a regular expression, the hint it
/// brings, and optionally the step name (`uses:`) it is limited to.
///
/// Matching is case-insensitive (write `(?-i)` for exact case); the pattern is
/// ICU's regular-expression syntax, and it may match anywhere in a line.
public struct HintRule: Sendable {
    public let match: String
    public let hint: String
    public let uses: String?
    public let position: SourcePosition
    private let regex: CompiledRegex

    public struct Invalid: Error { public let reason: String }

    public init(match: String, hint: String, uses: String?, position: SourcePosition) throws(Invalid) {
        do {
            regex = CompiledRegex(try NSRegularExpression(pattern: match, options: [.caseInsensitive, .anchorsMatchLines]))
        } catch {
            throw Invalid(reason: (error as NSError).localizedDescription)
        }
        self.match = match; self.hint = hint; self.uses = uses; self.position = position
    }

    /// Whether this row applies to a failed step of `uses` whose error, hint or last log lines are `texts`.
    public func applies(uses stepUses: String, to texts: [String]) -> Bool {
        if let uses, uses != stepUses { return false }
        return texts.contains { regex.matches($0) }
    }
}

/// NSRegularExpression is immutable once built, and safe to share between threads.
private final class CompiledRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ r: NSRegularExpression) { regex = r }
    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

extension HintRule {
    /// How many of a failed step's last log lines the rows are matched against.
    public static let logLines = 20

    /// A failed step's hints: the plugin's own first, then each matching row's, each once.
    public static func hints(for r: StepOutcome, from rules: [HintRule]) -> [String] {
        var out: [String] = []
        if let h = r.hint, !h.isEmpty { out.append(h) }
        guard !rules.isEmpty else { return out }
        let texts = [r.error, r.hint].compactMap { $0 } + r.logTail.suffix(logLines) + r.stderrTail.suffix(logLines)
        for rule in rules where !out.contains(rule.hint) && rule.applies(uses: r.uses, to: texts) { out.append(rule.hint) }
        return out
    }
}
