import StepHost
/// A small command-line parser: `--name value`, `--name=value`, `-x value`, flags, repeats, positionals.
struct Arguments {
    struct UsageError: Error, CustomStringConvertible { var description: String }

    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// `valued`: options that take a value (long names, plus short aliases in `aliases`).
    /// `optional`: options whose value may be left out (`--resume`, `--resume ID`,
    /// `--resume=ID`); the next argument is their value only when `accepts` says so,
    /// else the value is `defaults[name]`.
    init(_ args: [String], valued: Set<String>, flags known: Set<String>, aliases: [String: String] = [:],
         optional: [String: (default: String, accepts: (String) -> Bool)] = [:]) throws(UsageError) {
        var k = 0
        while k < args.count {
            var a = args[k]
            k += 1
            if a == "--" { positionals += args[k...]; break }
            guard a.hasPrefix("-") && a != "-" else { positionals.append(a); continue }
            var inline: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                inline = String(a[a.index(after: eq)...])
                a = String(a[..<eq])
            }
            let name = aliases[a] ?? a
            if let opt = optional[name] {
                if let inline { values[name, default: []].append(inline) }
                else if k < args.count, opt.accepts(args[k]) { values[name, default: []].append(args[k]); k += 1 }
                else { values[name, default: []].append(opt.default) }
            } else if valued.contains(name) {
                guard let v = inline ?? (k < args.count ? args[k] : nil) else { throw UsageError(description: "\(a) needs a value") }
                if inline == nil { k += 1 }
                values[name, default: []].append(v)
            } else if known.contains(name) {
                guard inline == nil else { throw UsageError(description: "\(a) takes no value") }
                flags.insert(name)
            } else {
                let options = Array(valued.union(known).union(optional.keys).union(aliases.keys))
                let guess = Suggestion.didYouMean(a, in: options)
                throw UsageError(description: "unknown option '\(a)'\(guess)")
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }
}
