import StepManifest
import StepProtocol
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

extension Arguments {
    /// `--args-json JSON` (anywhere before `--`) stands for the arguments in JSON, a list of strings. Generated
    /// CI files pass values from the repository and the run this way, through the CI system's environment
    /// (`--args-json "$STEPHOST_ARGS"`), so that no value is ever part of a script's text.
    static func expandingArgsJSON(_ args: [String]) throws(UsageError) -> [String] {
        var out: [String] = []
        var k = 0
        while k < args.count {
            let a = args[k]
            k += 1
            if a == "--" { out += args[(k - 1)...]; break }
            var json: String?
            if a == "--args-json" {
                guard k < args.count else { throw UsageError(description: "--args-json needs a value: a JSON list of strings") }
                json = args[k]; k += 1
            } else if a.hasPrefix("--args-json=") {
                json = String(a.dropFirst("--args-json=".count))
            }
            guard let json else { out.append(a); continue }
            guard let list = (try? JSONParser.parse(json))?.arrayValue, let words = Optional(list.compactMap(\.stringValue)), words.count == list.count else {
                throw UsageError(description: "--args-json takes a JSON list of strings, got \(JSONValue.string(String(json.prefix(80))).encoded())")
            }
            out += words
        }
        return out
    }
}
