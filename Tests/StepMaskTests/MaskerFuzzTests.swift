import Foundation
import StepMask
import Testing

/// The invariant: no output ever contains a secret, in any of the forms the
/// masker knows, whatever the secrets, the surrounding text and the chunk
/// boundaries. And a stream split anywhere masks exactly like the whole text.
/// Runs for a bounded time with a seed printed on failure.
@Suite("Masker invariant (randomized)", .timeLimit(.minutes(3)))
struct MaskerFuzzTests {
    static let budget: TimeInterval = {
        ProcessInfo.processInfo.environment["STEPHOST_FUZZ_SECONDS"].flatMap(TimeInterval.init) ?? 3
    }()

    /// Characters secrets and text are drawn from. `*` is left out: a secret
    /// containing `***` could be formed by the replacement itself.
    static let alphabet = Array("abcdefABCDEF0123456789-_.:/+=@%!? \"\\\n\télö€")

    struct Case {
        var secrets: [String]
        var text: String
        var chunks: [Int]
    }

    static func randomString(_ r: inout SplitMix, _ n: ClosedRange<Int>) -> String {
        String((0..<Int.random(in: n, using: &r)).map { _ in alphabet.randomElement(using: &r)! })
    }

    static func makeCase(_ r: inout SplitMix) -> Case {
        let secrets = (0..<Int.random(in: 1...3, using: &r)).map { _ in randomString(&r, 4...24) }
        var text = ""
        for _ in 0..<Int.random(in: 1...8, using: &r) {
            text += randomString(&r, 0...12)
            let s = secrets.randomElement(using: &r)!
            switch Int.random(in: 0..<6, using: &r) {
            case 0, 1: text += s
            case 2: text += String(decoding: Array(s.utf8).map { $0 }, as: UTF8.self).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            case 3: text += String(#"{"v":\#(jsonString(s))}"#)
            case 4:
                let around = randomString(&r, 0...5) + s + randomString(&r, 0...5)
                text += Data(around.utf8).base64EncodedString()
            default:
                let lines = s.split(separator: "\n")
                text += lines.joined(separator: "\n")
            }
        }
        let bytes = text.utf8.count
        var chunks: [Int] = []
        var left = bytes
        while left > 0 { let c = Int.random(in: 1...max(1, min(left, 20)), using: &r); chunks.append(c); left -= c }
        return Case(secrets: secrets, text: text, chunks: chunks)
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]), as: UTF8.self)
            .dropFirst().dropLast().description
    }

    /// Every form the output must not contain, derived here independently of
    /// `MaskForms`: each line of each secret, its JSON and URL encodings, and
    /// the base64 characters that depend on the secret alone (found by
    /// encoding it between two different fillers and keeping what agrees).
    static func forbidden(_ secrets: [String]) -> [String] {
        var out: [String] = []
        for s in secrets {
            var forms = s.split(separator: "\n").map(String.init) + [s]
            forms.append(String(jsonString(s).dropFirst().dropLast()))
            forms.append(s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            for k in 0..<3 {
                let a = Array(Data([UInt8](repeating: 0x00, count: k) + Array(s.utf8) + [0x00, 0x00]).base64EncodedString())
                let b = Array(Data([UInt8](repeating: 0xFF, count: k) + Array(s.utf8) + [0xFF, 0xFF]).base64EncodedString())
                var best = "", run = ""
                for (x, y) in zip(a, b) { if x == y { run.append(x) } else { run = "" }; if run.count > best.count { best = run } }
                forms.append(best)
            }
            out += forms.filter { $0.count >= Masker.minimumLength }
        }
        return out
    }

    @Test("no output contains a secret, and chunking never changes the output")
    func invariant() {
        let seed = UInt64(ProcessInfo.processInfo.environment["STEPHOST_FUZZ_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix(seed: seed)
        let deadline = Date().addingTimeInterval(Self.budget)
        var cases = 0
        while Date() < deadline {
            cases += 1
            let c = Self.makeCase(&rng)
            let m = Masker()
            for s in c.secrets { m.add(s) }
            let whole = m.mask(c.text)
            var stream = MaskStream(m)
            var out: [UInt8] = []
            var bytes = Array(c.text.utf8)[...]
            for n in c.chunks { out += stream.feed(Array(bytes.prefix(n))); bytes = bytes.dropFirst(n) }
            out += stream.finish()
            // A stream masks values; URL passwords are the line's business (`mask` does both).
            let streamed = Masker.redactingURLCredentials(String(decoding: out, as: UTF8.self))
            let leaked = Self.forbidden(c.secrets).filter { whole.contains($0) || streamed.contains($0) }
            let context = "seed \(seed), case \(cases): secrets \(c.secrets.debugDescription), text \(c.text.debugDescription)"
            #expect(leaked.isEmpty, "leaked \(leaked.debugDescription); \(context)")
            #expect(whole == streamed, "chunks \(c.chunks); \(context)")
            if !leaked.isEmpty || whole != streamed { return }
        }
        #expect(cases > 100, "only \(cases) cases ran")
    }
}

/// A small seeded generator, so a failure can be replayed with STEPHOST_FUZZ_SEED.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Secrets of any bytes (1–200), in every form the masker lists, inside text that is then cut at
/// random points (streamed in random chunks, and shortened with `mask(_:keeping:)`): no output
/// holds a secret, or the first four bytes of any form of it. Values under four characters are refused.
@Suite("Masker with any bytes, cut anywhere (randomized)", .timeLimit(.minutes(3)))
struct MaskerCutFuzzTests {
    /// Filler drawn from a few characters; a form whose first four bytes could be made of them
    /// (or of the replacement and base64 padding) is not checked for its prefix.
    static let filler: [UInt8] = Array(" ~|".utf8)

    static func forms(_ s: String) -> [(name: String, text: String)] {
        var out: [(String, String)] = [("exact", s)]
        for line in s.split(whereSeparator: \.isNewline) { out.append(("line", String(line))) }
        // The quotes come off as bytes: a value starting with a combining mark makes one Character of `"` and it.
        let jsonBytes = Array(MaskerFuzzTests.jsonString(s).utf8)
        let json = String(decoding: jsonBytes.dropFirst().dropLast(), as: UTF8.self)
        out.append(("json", json))
        // `<`, `>`, `&` escaped scalar by scalar, as Go's encoder does (a combining mark after one does not hide it).
        var html = ""
        for u in json.unicodeScalars {
            switch u {
            case "<": html += "\\u003c"
            case ">": html += "\\u003e"
            case "&": html += "\\u0026"
            default: html.unicodeScalars.append(u)
            }
        }
        out.append(("json-html", html))
        out.append(("url", s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s))
        for k in 0..<3 {
            // The secret after k zero bytes: what base64 shows of it starts two or three characters in.
            let enc = Data([UInt8](repeating: 0, count: k) + Array(s.utf8)).base64EncodedString()
            out.append(("base64-\(k)", enc))
        }
        return out
    }

    /// Byte search (Foundation's `String.contains` stops at a NUL character).
    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return needle.isEmpty }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
        return false
    }

    @Test("never a secret or its first four bytes in the output")
    func cut() {
        let seed = UInt64(ProcessInfo.processInfo.environment["STEPHOST_FUZZ_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix(seed: seed)
        let deadline = Date().addingTimeInterval(MaskerFuzzTests.budget)
        var cases = 0, refused = 0
        while Date() < deadline {
            cases += 1
            let raw = (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let secret = String(decoding: raw, as: UTF8.self)
            let m = Masker()
            guard m.add(secret) else {
                refused += 1
                #expect(secret.count < Masker.minimumLength, "seed \(seed): \(secret.debugDescription) refused")
                continue
            }
            var text: [UInt8] = []
            var used: [(name: String, text: String)] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                text += (0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.filler.randomElement(using: &rng)! }
                let f = Self.forms(secret).randomElement(using: &rng)!
                used.append(f)
                text += Array(f.text.utf8)
            }
            text += (0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.filler.randomElement(using: &rng)! }
            let input = String(decoding: text, as: UTF8.self)
            var outputs = [m.mask(input)]
            let limit = Int.random(in: 0...max(0, input.count), using: &rng)
            outputs.append(m.mask(input, keeping: limit))
            var stream = MaskStream(m)
            var streamed: [UInt8] = []
            var rest = Array(input.utf8)[...]
            while !rest.isEmpty {
                let n = Int.random(in: 1...max(1, min(rest.count, 64)), using: &rng)
                streamed += stream.feed(Array(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            outputs.append(String(decoding: streamed + stream.finish(), as: UTF8.self))
            let harmless = Set(Self.filler + Array("*=A".utf8))
            for out in outputs {
                let bytes = Array(out.utf8)
                for f in used {
                    let form = Array(f.text.utf8)
                    // base64 shows the secret from its third (or fourth) character on: the core is what must go.
                    let core = f.name.hasPrefix("base64") ? Array(form.dropFirst(3).dropLast(4)) : form
                    // Lines of a multi-line value shorter than four characters are not masked (they would hide ordinary text).
                    guard String(decoding: core, as: UTF8.self).count >= Masker.minimumLength else { continue }
                    let context = "seed \(seed), case \(cases): \(f.name) of \(secret.debugDescription) in \(out.debugDescription)"
                    #expect(!Self.contains(bytes, core), "the \(f.name) form survived; \(context)")
                    let prefix = Array(core.prefix(4))
                    // A line too short to mask shows as it is, and may hold those bytes.
                    let shortLines = used.filter { $0.name == "line" && $0.text.count < Masker.minimumLength }
                    if !prefix.allSatisfy(harmless.contains) && !f.name.hasPrefix("base64")
                        && !shortLines.contains(where: { Self.contains(Array($0.text.utf8), prefix) }) {
                        #expect(!Self.contains(bytes, prefix), "the first four bytes of the \(f.name) form show; \(context)")
                    }
                }
            }
        }
        #expect(cases - refused > 20, "only \(cases - refused) cases with a secret ran")
    }
}
