import Foundation
import Testing
import StepProtocol
import StepYAML

/// The official YAML test suite (yaml/yaml-test-suite, its `data` branch),
/// read case by case against `yamlTestSuiteExpectations`. The data is looked
/// for in `$YAML_TEST_SUITE`, else in `yaml-test-suite` under `shared/data`
/// beside the repository (where CI puts it). Missing data fails in CI and
/// disables the suite elsewhere.
@Suite("The official YAML test suite", .timeLimit(.minutes(1)))
struct YAMLTestSuiteTests {
    static let root: String? = {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates: [String?] = [ProcessInfo.processInfo.environment["YAML_TEST_SUITE"],
                          repo.deletingLastPathComponent().appendingPathComponent("shared/data/yaml-test-suite").path]
        return candidates.compactMap { $0 }.first { (dir: String) in FileManager.default.fileExists(atPath: dir + "/229Q/in.yaml") }
    }()
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil

    /// Every case folder holding an `in.yaml` (some cases have numbered sub-folders), as `ID` or `ID/NN`.
    static let cases: [String] = {
        guard let root else { return [] }
        let fm = FileManager.default
        var out: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            if fm.fileExists(atPath: "\(root)/\(name)/in.yaml") { out.append(name); continue }
            for sub in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(name)")) ?? []).sorted()
            where fm.fileExists(atPath: "\(root)/\(name)/\(sub)/in.yaml") {
                out.append("\(name)/\(sub)")
            }
        }
        return out
    }()

    @Test("the suite's data is there", .enabled(if: root != nil || inCI))
    func dataPresent() throws {
        let root = try #require(Self.root, "the YAML test suite was not found: set YAML_TEST_SUITE to its folder")
        #expect(Self.cases.count == yamlTestSuiteExpectations.count, "\(root) has \(Self.cases.count) cases, the table \(yamlTestSuiteExpectations.count)")
        let unknown = Self.cases.filter { yamlTestSuiteExpectations[$0] == nil }
        #expect(unknown.isEmpty, "cases with no expected outcome: \(unknown)")
    }

    @Test("each case reads as the table says", .enabled(if: root != nil), arguments: cases)
    func readsCase(_ id: String) throws {
        let dir = try #require(Self.root) + "/" + id
        let expected = try #require(yamlTestSuiteExpectations[id], "\(id) is not in the table")
        let text = try String(contentsOfFile: dir + "/in.yaml", encoding: .utf8)
        let invalidInSuite = FileManager.default.fileExists(atPath: dir + "/error")
        #expect(invalidInSuite == (expected == .invalid), "\(id): the table and the suite disagree on whether it is valid")
        let result = Result { () throws(YAMLError) -> JSONValue in try YAMLParser.parse(text, file: "in.yaml").json }
        switch (expected, result) {
        case (.equal, .success(let value)):
            let docs = try Self.documents(dir + "/in.json")
            #expect(docs.count <= 1, "\(id): in.json holds \(docs.count) documents")
            #expect(value == (docs.first ?? .null), "\(id): read \(value.encoded()), the suite says \(docs.first?.encoded() ?? "null")")
        case (.accepted, .success):
            break
        case (.invalid, .failure(let e)):
            #expect(e.description.hasPrefix("in.yaml:"), "\(id): an error names its position: \(e)")
        case (.refused(let words), .failure(let e)):
            #expect(e.message.contains(words), "\(id): refused with '\(e.message)', expected a message about \(words)")
        case (_, .success(let value)):
            Issue.record("\(id): expected \(expected), but it was read as \(value.encoded())")
        case (_, .failure(let e)):
            Issue.record("\(id): expected \(expected), but it was refused: \(e)")
        }
    }

    /// The JSON values of `in.json`, one after another (empty for an empty stream).
    static func documents(_ path: String) throws -> [JSONValue] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var docs: [JSONValue] = []
        // Documents are separated by line breaks at depth 0; gather lines until they parse.
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            pending += line + "\n"
            if pending.allSatisfy(\.isWhitespace) { pending = ""; continue }
            if let value = try? JSONParser.parse(pending) { docs.append(value); pending = "" }
        }
        if !pending.allSatisfy(\.isWhitespace) { docs.append(try JSONParser.parse(pending)) }
        return docs
    }
}
