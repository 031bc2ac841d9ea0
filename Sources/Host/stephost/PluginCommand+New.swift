import Foundation
import StepManifest

extension PluginCommand {
    /// The stephost checkout this binary was built from (for a Swift plugin's PluginKit dependency).
    static var sourceCheckout: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return FileManager.default.fileExists(atPath: "\(root)/Sources/Plugins/PluginKit") ? root : nil
    }

    /// `plugin new NAME --lang sh|python|swift [--dir DIR] [--stephost-source DIR]`: a working plugin, its
    /// descriptor, an example manifest and a README; nothing is written if any of them exists.
    static func scaffold(_ argv: [String]) -> Int32 {
        let a: Arguments
        do { a = try Arguments(argv, valued: ["--lang", "--dir", "--stephost-source"], flags: []) } catch {
            return CommonOptions.fail("\(error) (see stephost plugin --help)")
        }
        guard a.positionals.count == 1, let name = a.positionals.first else { return CommonOptions.fail("plugin new takes one NAME") }
        guard let first = name.first, first.isASCII && first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), name.count <= 64 else {
            return CommonOptions.fail("plugin new: '\(name)' is not a plugin name (a letter, then letters, digits and '-')")
        }
        guard let lang = a.value("--lang"), ["sh", "python", "swift"].contains(lang) else {
            return CommonOptions.fail("plugin new needs --lang sh, python or swift")
        }
        let dir = Paths.absolute(a.value("--dir") ?? ".", FileManager.default.currentDirectoryPath)
        let fill = { (t: String) in t.replacingOccurrences(of: "__NAME__", with: name).replacingOccurrences(of: "__INPUTS__", with: PluginTemplates.inputsJSON) }
        var files: [(path: String, text: String, executable: Bool)] = []
        let home = "plugins/\(name)"
        let command: String
        switch lang {
        case "python":
            files.append(("\(home)/\(name).py", fill(PluginTemplates.python), true))
            command = "../\(home)/\(name).py"
        case "sh":
            files.append(("\(home)/\(name).sh", fill(PluginTemplates.shell), true))
            command = "../\(home)/\(name).sh"
        default:
            guard let source = a.value("--stephost-source").map({ Paths.absolute($0, FileManager.default.currentDirectoryPath) }) ?? sourceCheckout else {
                return CommonOptions.fail("plugin new --lang swift: give --stephost-source DIR, a checkout of stephost (the plugin uses its PluginKit by path)")
            }
            files.append(("\(home)/Package.swift", fill(PluginTemplates.swiftPackage).replacingOccurrences(of: "__STEPHOST__", with: source)
                // SwiftPM names a package by path after its folder.
                .replacingOccurrences(of: "__STEPHOST_IDENTITY__", with: (source as NSString).lastPathComponent.lowercased()), false))
            files.append(("\(home)/Sources/main.swift", fill(PluginTemplates.swiftMain), false))
            files.append(("\(home)/run", """
                #!/bin/sh
                # Starts the plugin, building it first if it has never been built (rebuild after a change:
                # swift build -c release --package-path \(home)).
                cd "$(dirname "$0")" || exit 1
                [ -x .build/release/\(name) ] || swift build -c release >&2 || exit 1
                exec .build/release/\(name) "$@"

                """, true))
            files.append(("\(home)/.gitignore", ".build/\nPackage.resolved\n", false))
            command = "../\(home)/run"
        }
        files.append(("plugins.d/\(name).yaml", """
            # The \(name) plugin (\(lang)); command[0] is relative to this folder. See docs/writing-plugins.md.
            name: \(name)
            command: [\(command)]
            steps: [\(name)]

            """, false))
        files.append(("\(name).example.yaml", """
            # An example manifest using the \(name) plugin: stephost run example -f \(name).example.yaml
            workflows:
              example:
                on: {manual: {}}
                steps:
                  - id: hello
                    uses: \(name)
                    with: {message: "hello from \(name)"}
                  - id: louder
                    uses: \(name)
                    needs: [hello]
                    with: {message: "${{ steps.hello.outputs.text }}", shout: true}

            """, false))
        let build = lang == "swift" ? "swift build -c release --package-path \(home)\n" : ""
        files.append(("\(home)/README.md", """
            # \(name)

            A stephost plugin in \(lang == "sh" ? "bash" : lang == "python" ? "Python" : "Swift (PluginKit)"), written by `stephost plugin new`.
            Its one step, `\(name)`, says `with.message` (in capitals with `shout: true`) and returns it as `text`.

            ```sh
            \(build)stephost plugin check \(name)                 # every protocol rule it can test from outside
            stephost run example -f \(name).example.yaml  # the example manifest
            ```

            The descriptor is `plugins.d/\(name).yaml`; stephost finds it next to the manifest. Replace the step's work
            with yours and keep `plugin check` passing. See docs/writing-plugins.md and docs/protocol.md of stephost.

            """, false))
        let existing = files.map { "\(dir)/\($0.path)" }.filter { FileManager.default.fileExists(atPath: $0) }
        guard existing.isEmpty else {
            return CommonOptions.fail("plugin new: not overwriting \(existing.joined(separator: ", ")) (nothing was written)")
        }
        for f in files {
            let path = "\(dir)/\(f.path)"
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try f.text.write(toFile: path, atomically: true, encoding: .utf8)
                if f.executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
            } catch { return CommonOptions.fail("plugin new: cannot write \(path): \(error.localizedDescription)") }
            print("wrote \(f.path)")
        }
        print("\nnext: \(build.isEmpty ? "" : build.trimmingCharacters(in: .newlines) + "; ")stephost plugin check \(name); stephost run example -f \(name).example.yaml")
        return 0
    }
}
