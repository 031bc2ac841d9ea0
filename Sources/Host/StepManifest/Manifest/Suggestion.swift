/// "did you mean …?" for a misspelt name: a candidate that differs only in case
/// (`tojson` → `toJSON`), else the closest one within two edits.
public enum Suggestion {
    public static func closest(to word: String, in candidates: [String]) -> String? {
        if let sameLetters = candidates.first(where: { $0 != word && $0.lowercased() == word.lowercased() }) { return sameLetters }
        let best = candidates.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        guard let (name, d) = best, d <= 2, d < word.count else { return nil }
        return name
    }

    /// ` did you mean 'x'?` after a message, or nothing.
    public static func didYouMean(_ word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)  // distances from a[..<i] to each prefix of b
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
