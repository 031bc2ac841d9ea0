import Foundation
import StepManifest
import StepMask
import StepProtocol
import StepYAML

/// What the fuzzers check: each target takes arbitrary bytes and must neither
/// crash nor break its invariant (a broken invariant is a `fatalError`, which
/// libFuzzer records as a crash). Regression tests replay saved inputs through
/// the same functions (`Tests/FuzzInputs/<target>/`).
public enum FuzzTargets {
    public static let names = ["yaml", "framer", "expression", "masker"]

    public static func run(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "yaml": yaml(bytes)
        case "framer": framer(bytes)
        case "expression": expression(bytes)
        case "masker": masker(bytes)
        default: fatalError("unknown fuzz target '\(target)' (known: \(names.joined(separator: ", ")))")
        }
    }

    /// The YAML parser: any text parses or fails with a positioned error; what parses converts to JSON.
    static func yaml(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let node = try? YAMLParser.parse(text) { _ = node.json.encoded() }
    }

    /// The line framer and the JSON-RPC decoder, fed in pieces whose sizes come from the input.
    static func framer(_ bytes: [UInt8]) {
        var f = LineFramer(maxLine: 4096)
        var items: [LineFramer.Item] = []
        var i = 0
        while i < bytes.count {
            let n = Int(bytes[i] % 64) + 1
            items += f.append(bytes[i..<min(bytes.count, i + n)])
            i += n
        }
        items += f.finish()
        for case .line(let line) in items {
            if line.count > 4096 { fatalError("the framer passed on a line over its limit") }
            if let m = try? Message.decode(line: line) {
                // What decodes re-encodes to a line that decodes to the same message.
                let again = try? Message.decode(line: Array(m.encodedLine().dropLast()))
                if again?.json() != m.json() {
                    fatalError("a message does not survive encoding: \(m.json().encoded()) became \(again?.json().encoded() ?? "nothing")")
                }
            }
        }
    }

    /// Expressions and templates parse or fail with a message; what parses evaluates or fails with a message.
    static func expression(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let ctx = EvaluationContext(contexts: [
            "steps": ["a": ["outputs": ["x": "1", "list": [1, 2, "three"], "obj": ["k": true]]]],
            "item": ["name": "n", "v": 2.5], "env": ["E": "e"], "vars": ["V": "v"], "run": ["branch": "main"],
        ])
        if let e = try? ExpressionParser.parse(text) { _ = try? e.evaluate(ctx) }
        if let t = try? Template(text) { _ = try? t.evaluate(ctx) }
    }

    /// The masker: the first byte says how many secrets; `\u{1}` separates secrets from
    /// each other and from the text. No secret may appear in the output, whole or streamed
    /// in pieces, and both must give the same output.
    static func masker(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let parts = bytes.dropFirst().split(separator: 1, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let count = min(Int(first % 4) + 1, max(0, parts.count - 1))
        let secrets = Array(parts.prefix(count)), text = parts.dropFirst(count).joined(separator: "\u{1}")
        let m = Masker()
        for s in secrets { m.add(s) }
        let whole = m.mask(text)
        var stream = MaskStream(m)
        var out: [UInt8] = []
        let t = Array(text.utf8)
        var i = 0, step = Int(first) % 7 + 1
        while i < t.count { out += stream.feed(Array(t[i..<min(t.count, i + step)])); i += step; step = step % 7 + 1 }
        out += stream.finish()
        let streamed = Masker.redactingURLCredentials(String(decoding: out, as: UTF8.self))
        if whole != streamed { fatalError("streamed masking differs from whole: \(whole.debugDescription) vs \(streamed.debugDescription)") }
        for s in secrets {
            // Forms of 4+ characters are masked; a secret containing `***` could be formed by the replacement itself.
            // The whole value and each of its lines.
            for line in s.split(whereSeparator: \.isNewline) + [Substring(s)] where line.count >= Masker.minimumLength && !line.contains("*") {
                if contains(Array(whole.utf8), Array(line.utf8)) { fatalError("secret line \(line.debugDescription) survived in \(whole.debugDescription)") }
            }
        }
    }

    /// Byte search: Foundation's `String.contains` stops at a NUL character.
    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return needle.isEmpty }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
