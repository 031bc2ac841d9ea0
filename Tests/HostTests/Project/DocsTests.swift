import Foundation
import StepManifest
import StepPlugins
import StepProtocol
import StepYAML
import Testing

/// The examples in README.md and docs/ are checked, so they cannot drift from what stephost does.
@Suite("Documentation examples", .timeLimit(.minutes(3)))
struct DocsTests {
    static let docs = ["README.md", "docs/manifest.md", "docs/protocol.md", "docs/plugins.md", "docs/writing-plugins.md", "docs/faults.md", "docs/secrets.md", "docs/run-record.md", "docs/reporting.md", "docs/scale-out.md", "docs/security.md", "docs/pipeline.md", "docs/development.md"]

    /// The fenced blocks of one language in a Markdown file.
    static func blocks(_ file: String, _ language: String) throws -> [String] {
        let text = try String(contentsOfFile: "\(TestSupport.repoRoot)/\(file)", encoding: .utf8)
        var out: [String] = []
        var current: [String]?
        for line in text.components(separatedBy: "\n") {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```\(language)" { current = []; continue }
            if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" { out.append(current!.joined(separator: "\n") + "\n"); current = nil; continue }
            current?.append(line)
        }
        return out
    }

    @Test("every YAML example parses, and every manifest example loads without problems", arguments: docs)
    func yaml(_ file: String) throws {
        for block in try DocsTests.blocks(file, "yaml") {
            let node = try YAMLParser.parse(block, file: file)
            if node["workflows"] != nil {
                let (_, problems) = try ManifestLoader.parse(block, file: file)
                #expect(problems.isEmpty, "\(file): \(problems)")
            }
        }
    }

    @Test("the README's first command and its 'Then try' sequence run as written, each exiting 0", .timeLimit(.minutes(3)))
    func thenTry() async throws {
        let readme = try String(contentsOfFile: "\(TestSupport.repoRoot)/README.md", encoding: .utf8)
        let after = try #require(readme.range(of: "Then try:"), "README has no 'Then try:'")
        let block = try #require(DocsTests.fencedBlock(in: String(readme[after.upperBound...]), "sh"))
        // Every `stephost ...` line, without its comment (the build-and-PATH line is what TestSupport.stephost stands for).
        let commands = block.split(separator: "\n").map { line in
            String(line.split(separator: "#", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
        }.filter { $0.hasPrefix("stephost ") }
        #expect(commands.count >= 5, "\(block)")
        let files = try await TestSupport.repositoryFiles { $0.hasPrefix("examples/") || $0.hasPrefix("plugins.d/") }
        let dir = try await TestSupport.gitRepo(files)
        for path in files.keys where FileManager.default.isExecutableFile(atPath: "\(TestSupport.repoRoot)/\(path)") {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(dir)/\(path)")
        }
        let first = try await TestSupport.stephost(["run", "-f", "examples/quickstart/stephost.yaml"], cwd: dir)
        #expect(first.code == 0, "\(first.stderr)")
        for command in commands {
            let words = command.split(separator: " ").dropFirst().map(String.init)
            let r = try await TestSupport.stephost(words, cwd: dir)
            #expect(r.code == 0, "README: `\(command)` exited \(r.code): \(r.stderr)")
        }
    }

    /// The first fenced block of a language in a Markdown text.
    static func fencedBlock(in text: String, _ language: String) -> String? {
        guard let open = text.range(of: "```\(language)\n"), let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test("every JSON example parses", arguments: docs)
    func json(_ file: String) throws {
        for block in try DocsTests.blocks(file, "json") {
            #expect(throws: Never.self, "\(file): \(block)") { try JSONParser.parse(block) }
        }
    }

    @Test("the graphs in the README and docs/pipeline.md are what stephost graph prints for the quickstart, the image path and the reference pipeline")
    func readmeGraph() async throws {
        for (page, manifests) in [("README.md", ["examples/quickstart/stephost.yaml"]),
                                  ("docs/pipeline.md", ["examples/image-path/stephost.yaml", "stephost.yaml"])] {
            let blocks = try DocsTests.blocks(page, "mermaid")
            #expect(blocks.count == manifests.count, "\(page)")
            for (k, manifest) in manifests.enumerated() {
                let graph = try await TestSupport.stephost(["graph", "-f", manifest], cwd: TestSupport.repoRoot)
                #expect(blocks.dropFirst(k).first == graph.stdout, "\(page)'s graph of \(manifest)")
            }
        }
    }

    @Test("scripts/docs.py check, the pipeline's docs lane, passes: graphs current, every relative link resolves")
    func docsLane() async throws {
        let r = try await TestSupport.run(["python3", "scripts/docs.py", "check"], cwd: TestSupport.repoRoot)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("3 graphs current"))
    }

    @Test("every stephost command line in the docs names a real command and flags it documents")
    func commands() async throws {
        var checked = 0
        for file in DocsTests.docs {
            for block in try DocsTests.blocks(file, "sh") {
                for raw in block.split(separator: "\n") {
                    let line = raw.split(separator: "#").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
                    let words = (try? ShellWords.split(line)) ?? []
                    guard let k = words.firstIndex(where: { $0 == "stephost" || $0.hasSuffix("/stephost") }), k + 1 < words.count else { continue }
                    let command = words[k + 1]
                    let help = try await TestSupport.stephost([command, "--help"], cwd: TestSupport.repoRoot)
                    #expect(help.code == 0, "\(file): stephost \(command) is not a command")
                    for flag in words[(k + 2)...] where flag.hasPrefix("--") {
                        let name = String(flag.split(separator: "=").first ?? "")
                        #expect(help.stdout.contains(name), "\(file): stephost \(command) has no option \(name)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked >= 5)
    }
}

@Suite("README: where things are")
struct WhereThingsAreTests {
    @Test("every file the README's 'Where things are' names exists, and every question has one")
    func filesExist() throws {
        let readme = try String(contentsOfFile: "\(TestSupport.repoRoot)/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: "## Where things are\n"))
        let section = readme[start.upperBound...].prefix { _ in true }
        let table = section[..<(section.range(of: "\n## ")?.lowerBound ?? section.endIndex)]
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| where ") }
        #expect(rows.count == 8, "\(rows)")
        for row in rows {
            let links = row.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            #expect(!links.isEmpty, "\(row)")
            for path in links { #expect(FileManager.default.fileExists(atPath: "\(TestSupport.repoRoot)/\(path)"), "\(path) (\(row))") }
        }
    }
}
