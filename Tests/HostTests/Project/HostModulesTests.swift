import Foundation
import Testing

/// The host's modules as `Sources/Host/README.md` draws them: the table, `Package.swift` and the
/// imports of every file say the same, and no library module prints, exits or reads argv.
@Suite("host modules: the README's table, Package.swift and the imports agree", .timeLimit(.minutes(1)))
struct HostModulesTests {
    static let hostModules = ["StepManifest", "StepPlugins", "StepJournal", "StepRun", "StepMetrics", "StepAuthoring", "StepReporting", "stephost"]

    /// module → the host modules the README allows it.
    static func readmeTable() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: "\(TestSupport.repoRoot)/Sources/Host/README.md", encoding: .utf8)
        var table: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let names = cells[1].components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            let imports: Set<String> = cells[3] == "all of the above" ? Set(hostModules.filter { $0 != "stephost" })
                : Set(cells[3].components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
            for n in names { table[n] = imports }
        }
        return table
    }

    /// target → the host modules `Package.swift` gives it.
    static func packageDependencies() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: "\(TestSupport.repoRoot)/Package.swift", encoding: .utf8)
        var deps: [String: Set<String>] = [:]
        let pattern = try NSRegularExpression(pattern: #"\.(?:executableTarget|target)\(\s*name: "([^"]+)",\s*dependencies: \[([^\]]*)\]"#)
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(m.range(at: 1), in: text)!])
            let list = text[Range(m.range(at: 2), in: text)!].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \n\"")) }
            deps[name] = Set(list.filter { hostModules.contains($0) })
        }
        return deps
    }

    @Test("each host module's host dependencies in Package.swift are what the README's table allows")
    func packageMatchesReadme() throws {
        let table = try Self.readmeTable()
        let deps = try Self.packageDependencies()
        for module in Self.hostModules {
            let allowed = try #require(table[module], "\(module) has no row in Sources/Host/README.md")
            let declared = try #require(deps[module], "\(module) is not a target in Package.swift")
            #expect(declared == allowed, "\(module): Package.swift \(declared.sorted()), README \(allowed.sorted())")
        }
    }

    @Test("every file of a host module imports only the host modules its row allows; no library module prints, exits or reads argv")
    func importsFollowTheTable() async throws {
        let table = try Self.readmeTable()
        let sources = try await TestSupport.repositoryFiles { $0.hasPrefix("Sources/Host/") && $0.hasSuffix(".swift") }
        var checked = 0
        for (path, text) in sources {
            let module = path.split(separator: "/")[2]
            guard let allowed = table[String(module)] else { continue }
            checked += 1
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let imported = String(line.dropFirst("import ".count))
                if Self.hostModules.contains(imported) { #expect(allowed.contains(imported), "\(path) imports \(imported)") }
            }
            guard module.hasPrefix("Step") else { continue }
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
            for word in [#"\bprint\("#, #"\bexit\("#, #"\bCommandLine\."#, #"FileHandle\.standard(Output|Error)"#] {
                #expect(code.range(of: word, options: .regularExpression) == nil, "\(path) uses \(word)")
            }
        }
        #expect(checked > 80)
    }

    @Test("every test folder has its row in Tests/README.md, and every host module has a test folder")
    func testFolders() throws {
        let readme = try String(contentsOfFile: "\(TestSupport.repoRoot)/Tests/README.md", encoding: .utf8)
        let folders = try FileManager.default.contentsOfDirectory(atPath: "\(TestSupport.repoRoot)/Tests/HostTests").filter { !$0.hasPrefix(".") }
        for f in folders { #expect(readme.contains("`HostTests/\(f)`"), "Tests/HostTests/\(f) has no row in Tests/README.md") }
        let named = ["StepManifest": "Manifest", "StepPlugins": "Plugins", "StepJournal": "Journal", "StepRun": "Run", "StepMetrics": "Metrics",
                     "StepAuthoring": "Authoring", "StepReporting": "Reporting"]
        for (module, folder) in named {
            #expect(Self.hostModules.contains(module))
            #expect(folders.contains(folder), "\(module) has no test folder (Tests/HostTests/\(folder))")
        }
    }

    @Test("Package.swift lists exactly the modules each target's files import (a test target may also name the executables it runs)")
    func packageListsImports() async throws {
        let text = try String(contentsOfFile: "\(TestSupport.repoRoot)/Package.swift", encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\.(executableTarget|target|testTarget)\(\s*name: "([^"]+)",\s*(?:dependencies: \[([^\]]*)\],\s*)?path: "([^"]+)""#)
        let system: Set<String> = ["Foundation", "FoundationNetworking", "Glibc", "Darwin", "Dispatch", "Testing"]
        let sources = try await TestSupport.repositoryFiles { $0.hasSuffix(".swift") && ($0.hasPrefix("Sources/") || $0.hasPrefix("Tests/")) }
        var executables: Set<String> = []
        var targets: [(kind: String, name: String, deps: Set<String>, path: String)] = []
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            func group(_ i: Int) -> String { Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
            let deps = Set(group(3).split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \n\"")) }.filter { !$0.isEmpty })
            if group(1) == "executableTarget" { executables.insert(group(2)) }
            targets.append((group(1), group(2), deps, group(4) + "/"))
        }
        #expect(targets.count > 30)
        for t in targets {
            var imports: Set<String> = []
            for (path, code) in sources where path.hasPrefix(t.path) {
                for line in code.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    imports.insert(String(line.split(separator: " ").last ?? ""))
                }
            }
            imports.subtract(system)
            var declared = t.deps
            if t.kind == "testTarget" { declared.subtract(executables) }
            #expect(declared == imports, "\(t.name): Package.swift lists \(declared.subtracting(imports).sorted()) that no file imports; files import \(imports.subtracting(declared).sorted()) it does not list")
        }
    }
}
