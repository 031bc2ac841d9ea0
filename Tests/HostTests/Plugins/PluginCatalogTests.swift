import StepPlugins
import Testing

@Suite("Plugin discovery", .timeLimit(.minutes(3)))
struct PluginCatalogTests {
    func descriptor(_ dir: String, _ name: String, steps: [String]) {
        TestSupport.write("\(dir)/\(name).yaml", "name: \(name)\ncommand: [./\(name)]\nsteps: [\(steps.joined(separator: ", "))]\n")
    }

    @Test("search order: --plugins, STEPHOST_PLUGIN_PATH, the manifest's plugins.d, the installed plugins.d, bundled")
    func order() throws {
        let root = TestSupport.tempDir("catalog")
        descriptor("\(root)/cli", "from-cli", steps: ["a"])
        descriptor("\(root)/path", "from-path", steps: ["a", "b"])
        descriptor("\(root)/project/plugins.d", "from-project", steps: ["a", "b", "c"])
        descriptor("\(root)/bin/plugins.d", "from-installed", steps: ["a", "b", "c", "d", "exec"])
        descriptor("\(root)/share/stephost/plugins.d", "from-share", steps: ["e"])
        let c = try PluginCatalog.load(.init(directories: ["\(root)/cli"], pluginPath: "\(root)/path", manifestDirectory: "\(root)/project",
                                             currentDirectory: root, hostDirectory: "\(root)/bin"))
        #expect(c.descriptor(forStep: "a")?.name == "from-cli")
        #expect(c.descriptor(forStep: "b")?.name == "from-path")
        #expect(c.descriptor(forStep: "c")?.name == "from-project")
        #expect(c.descriptor(forStep: "d")?.name == "from-installed")
        #expect(c.descriptor(forStep: "e")?.name == "from-share")
        #expect(c.descriptor(forStep: "exec")?.name == "from-installed", "an installed descriptor comes before the bundled one")
        #expect(c.descriptor(forStep: "a")?.baseDirectory == "\(root)/cli")
    }

    @Test("--plugin NAME=COMMAND replaces every descriptor named NAME")
    func override() throws {
        let root = TestSupport.tempDir("catalog")
        descriptor("\(root)/d", "exec", steps: ["exec", "other"])
        let c = try PluginCatalog.load(.init(overrides: [.init(name: "exec", command: ["/bin/fake", "--flag", "two words"], origin: "--plugin exec=…"),
                                                         .init(name: "exec", command: ["/bin/ignored"], origin: "--plugin exec=/bin/ignored")],
                                             directories: ["\(root)/d"], currentDirectory: root))
        #expect(c.overrides.map(\.command) == [["/bin/fake", "--flag", "two words"]], "the first --plugin for a NAME wins")
        #expect(c.descriptor(forStep: "other") == nil, "the replaced descriptor's steps are gone with it")
        #expect(c.descriptor(forStep: "exec") == nil)
    }

    @Test("shell words: quotes and backslashes, no expansion")
    func shellWords() throws {
        #expect(try ShellWords.split(#"a 'b c' "d \"e\" $HOME" f\ g"#) == ["a", "b c", #"d "e" $HOME"#, "f g"])
        #expect(throws: ShellWords.Error.self) { try ShellWords.split("'open") }
    }
}

@Suite("Plugins that cannot start", .timeLimit(.minutes(1)))
struct PluginStartMessageTests {
    static let manifest = "workflows:\n  w:\n    steps:\n      - {id: a, uses: hello}\n"
    static let descriptor = "name: greeter\ncommand: [./greeter.sh]\nsteps: [hello]\n"

    @Test("a plugin that cannot start gets one message, and its steps are not said to have no plugin")
    func oneMessage() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "plugins.d/greeter.yaml": Self.descriptor])
        for args in [["run", "w", "--plugin", "greeter=./missing"], ["validate", "--plugin", "greeter=./missing"]] {
            let r = try await TestSupport.stephost(args, cwd: dir)
            #expect(r.code == 2)
            #expect(r.stderr.contains("plugin 'greeter' (descriptor --plugin greeter=./missing) could not start"), "\(r.stderr)")
            #expect(!r.stderr.contains("which no plugin provides"), "\(args): \(r.stderr)")
        }
    }

    @Test("a plugin that is not executable is told how to fix it")
    func notExecutable() async throws {
        let dir = try await TestSupport.gitRepo(["stephost.yaml": Self.manifest, "plugins.d/greeter.yaml": Self.descriptor,
                                                 "plugins.d/greeter.sh": "#!/bin/sh\nexit 0\n"])
        let r = try await TestSupport.stephost(["run", "w"], cwd: dir)
        #expect(r.code == 2)
        #expect(r.stderr.contains("is not executable (make it so: chmod +x '"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one message: \(r.stderr)")
    }
}
