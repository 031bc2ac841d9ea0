import Foundation
import Testing
import StepYAML

/// Parsers meet hostile input: random mutations of real files must be read or
/// rejected with an error, never crash or hang. (A fixed seed keeps failures reproducible.)
@Suite("YAML parser on mutated input", .timeLimit(.minutes(1)))
struct MutationTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    static let pieces: [String] = ["\n", " ", "  ", "\t", ":", "- ", "[", "]", "{", "}", ",", "'", "\"", "|", ">", "#", "&a", "*a", "!t",
                                   "? ", "---", "...", "\\", "\\u12", "%", "@", "`", "${{", "}}", "|-2", ">+", "\r\n", "é", "\u{0}"]

    static func mutate(_ text: String, _ rng: inout Generator) -> String {
        var chars = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let at = chars.isEmpty ? 0 : Int.random(in: 0..<chars.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: if !chars.isEmpty { chars.remove(at: at) }
            case 1: chars.insert(contentsOf: Array(pieces.randomElement(using: &rng)!), at: at)
            case 2: if !chars.isEmpty { chars[at] = Array(pieces.randomElement(using: &rng)!).first ?? " " }
            default:
                let n = Int.random(in: 0...min(40, chars.count - at), using: &rng)
                chars.insert(contentsOf: Array(chars[at..<at + n]), at: at)
            }
        }
        return String(chars)
    }

    @Test("5,000 mutations of the corpus are parsed or rejected with a position")
    func mutations() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        let texts = try files.map { try String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8) }
        var rng = Generator(state: 0x5EED)
        var rejected = 0
        for _ in 0..<5000 {
            let text = MutationTests.mutate(texts.randomElement(using: &rng)!, &rng)
            do { _ = try YAMLParser.parse(text, file: "m.yaml").json } catch {
                rejected += 1
                #expect(error.position.line >= 1 && error.position.column >= 1)
            }
        }
        #expect(rejected > 100 && rejected < 5000, "mutations should be a mix of accepted and rejected, got \(rejected) rejected")
    }

    @Test("deep nesting is rejected or read without exhausting the stack")
    func deepNesting() {
        let flow = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(flow, file: "d.yaml") }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(String(repeating: "- ", count: 100_000) + "x", file: "d.yaml") }
        var block = ""
        for k in 0..<150 { block += String(repeating: " ", count: k) + "k\(k):\n" }
        #expect(throws: Never.self) { try YAMLParser.parse(block, file: "d.yaml") }
        var tooDeep = ""
        for k in 0..<300 { tooDeep += String(repeating: " ", count: k) + "k\(k):\n" }
        #expect { try YAMLParser.parse(tooDeep, file: "d.yaml") } throws: { "\($0)".contains("nested more than 200 deep") }
    }
}
