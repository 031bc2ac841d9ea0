/// Words for the shell scripts stephost writes (CI workflows, pipelines).
enum Shell {
    /// `s` as one shell word: as is when it holds only safe characters, else in single quotes.
    static func quote(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// An argv as one line of shell words.
    static func join(_ argv: [String]) -> String { argv.map(quote).joined(separator: " ") }
}
