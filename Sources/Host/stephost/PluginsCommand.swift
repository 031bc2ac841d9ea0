import Foundation
import StepManifest
import StepPlugins
import StepRun

enum PluginsCommand {
    static func main(_ argv: [String]) async -> Int32 {
        let a: Arguments
        do { a = try Arguments(argv, valued: CommonOptions.valued, flags: [], aliases: CommonOptions.aliases) } catch {
            return CommonOptions.fail("\(error) (see stephost plugins --help)")
        }
        let r: RunRequest
        do { r = try CommonOptions.request(a) } catch { return CommonOptions.fail(error.description) }
        var search = r.pluginSearch
        let manifestDir = (Paths.absolute(r.manifestPath, search.currentDirectory) as NSString).deletingLastPathComponent
        search.manifestDirectory = manifestDir
        let catalog: PluginCatalog
        do { catalog = try PluginCatalog.load(search) } catch { return CommonOptions.fail(error.description) }
        let workspace = await Runner.workspace(for: r)
        let pool = PluginPool(settings: .init(hostDirectory: r.hostDirectory, workspace: workspace, hostEnvironment: r.hostEnvironment,
                                              initTimeout: r.initTimeout, hostVersion: version, multiCall: r.multiCall), onStderrLine: { _, _ in })
        var failed = false
        for d in catalog.visibleDescriptors {
            do {
                let info = try await pool.warmUp(d)
                print("\(d.name) \(info.pluginVersion)")
                print("  steps: \(info.steps.map(\.name).joined(separator: ", "))")
            } catch {
                failed = true
                print("\(d.name) (cannot start)")
                print("  error: \(error)")
            }
            print("  descriptor: \(d.file)")
            print("  command: \(d.command.joined(separator: " "))")
            // Which descriptor serves each step it claims: a bundled step served from a folder says so.
            for step in d.steps ?? [] {
                guard let server = catalog.overrides.first(where: { $0.name == step }) ?? catalog.descriptor(forStep: step) else { continue }
                if server.file != d.file {
                    print("  \(step): served by '\(server.name)' (\(server.file)), not by this plugin")
                } else if BundledPlugins.stepNames.contains(step), d.origin != .bundled, !BundledPlugins.isCopy(d) {
                    print("  \(step): replaces the bundled step (override)")
                }
            }
        }
        await pool.shutdownAll()
        return failed ? 2 : 0
    }
}
