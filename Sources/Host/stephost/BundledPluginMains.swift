import BotPRPlugin
import DetectChangesPlugin
import DockerBuildPlugin
import ExecPlugin
import Foundation
import GHCRPushPlugin
import ModalSecretPlugin
import NotifyPlugin
import PinDigestPlugin
import SmokeTestPlugin
import StepPlugins
import StepProtocol
import SyncModalPlugin

/// The bundled plugins this executable serves when it is started by their name (`stephost-exec`, …):
/// one copy of the Swift runtime for the host and all of them, each plugin still its own process.
enum BundledPluginMains {
    static let table: [String: @Sendable () -> Never] = [
        "stephost-exec": ExecPlugin.serve, "stephost-detect-changes": DetectChangesPlugin.serve,
        "stephost-docker-build": DockerBuildPlugin.serve, "stephost-ghcr-push": GHCRPushPlugin.serve,
        "stephost-pin-digest": PinDigestPlugin.serve, "stephost-bot-pr": BotPRPlugin.serve, "stephost-notify": NotifyPlugin.serve,
        "stephost-modal-secret": ModalSecretPlugin.serve, "stephost-sync-modal": SyncModalPlugin.serve,
        "stephost-smoke-test": SmokeTestPlugin.serve,
    ]

    /// Each bundled plugin's `initialize` answer, made in-process (for the commands that run nothing).
    static let describe: [String: @Sendable () -> InitializeResult] = [
        "stephost-exec": { ExecPlugin.server().initializeResult }, "stephost-detect-changes": { DetectChangesPlugin.server().initializeResult },
        "stephost-docker-build": { DockerBuildPlugin.server().initializeResult }, "stephost-ghcr-push": { GHCRPushPlugin.server().initializeResult },
        "stephost-pin-digest": { PinDigestPlugin.server().initializeResult }, "stephost-bot-pr": { BotPRPlugin.server().initializeResult },
        "stephost-notify": { NotifyPlugin.server().initializeResult }, "stephost-modal-secret": { ModalSecretPlugin.server().initializeResult },
        "stephost-sync-modal": { SyncModalPlugin.server().initializeResult }, "stephost-smoke-test": { SmokeTestPlugin.server().initializeResult },
    ]

    /// This executable and the names it serves, for starting a bundled plugin.
    static var multiCall: MultiCall? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return MultiCall(executable: exe, names: Set(table.keys), describe: describe)
    }

    /// Serves the plugin this process was started as, if any (argv[0]'s last component).
    static func serveIfStartedAsPlugin() {
        let name = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? ""
        if let serve = table[name] { serve() }
    }
}
