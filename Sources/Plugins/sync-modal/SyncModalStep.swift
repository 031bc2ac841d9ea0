import Foundation
import Modal
import PluginKit
import ProcessorRegistry
import StepProtocol

enum SyncModalStep {
    static let description = StepDescription(
        name: "sync-modal",
        description: "Deploy one processor's Modal function from its pinned registry file, then check it exists",
        inputs: [
            "type": "object", "additionalProperties": false, "required": ["processor"],
            "properties": [
                "processor": ["type": "string", "description": "processor reference, e.g. llm/litellm@1 (function exec__llm_litellm__v1)"],
                "registry": ["type": "string", "description": "folder of registry files (default Registry/processors)"],
                "image": ["type": "string", "description": "repository@sha256:… (default: the registry file's image.oci, or image.platforms.amd64, what Modal runs)"],
                "file": ["type": "string", "description": "the registry file itself (a registry.yaml beside the unit's code), instead of finding it in registry"],
                "tool-secrets": ["type": "array", "items": ["type": "string"], "description": "Modal secrets the function gets (default: the file's secrets.required)"],
                "app": ["type": "string", "description": "Modal app (default theory-rt)"],
                "module": ["type": "string", "description": "Python module that builds the app (default modal_app)"],
                "cwd": ["type": "string", "description": "folder holding the module (default: the registry folder's parent)"],
                "modal-environment": ["type": "string", "description": "Modal environment (default: the step's environment)"],
                "verify": ["type": "boolean", "description": "check afterwards that the function exists in that app and environment (default true)"],
                "timeout": ["type": "string", "description": "how long modal deploy, and then the check, may take (default 15m)"],
                "modal": ["type": "string", "description": "the modal executable (default: modal in PATH)"],
                "python": ["type": "string", "description": "the Python with the modal package, for the check (default: python3 in PATH)"],
            ],
        ],
        outputs: ["app": "the Modal app", "function": "exec__{slug}__v{ver}", "environment": "the Modal environment", "image": "the image deployed"])

    /// Hydrating a function by name is what proves it exists: `from_name` alone is lazy and never fails.
    static let verifyScript = """
        import sys
        try:
            import modal
        except ImportError as e:
            print(f"ImportError: {e}", file=sys.stderr)
            sys.exit(4)
        app, name, env = sys.argv[1:4]
        try:
            modal.Function.from_name(app, name, environment_name=env).hydrate()
        except modal.exception.NotFoundError as e:
            print(f"NotFoundError: {e}", file=sys.stderr)
            sys.exit(3)
        print(f"found {name} in app {app} of environment {env}")
        """

    @Sendable static func run(_ step: StepContext) async throws -> StepRunResult {
        let cli = try ModalCLI(step)
        let registryInput = step.with["registry"]?.stringValue ?? "Registry/processors"
        let registry = step.path(registryInput)
        let app = step.with["app"]?.stringValue ?? "theory-rt"
        let module = step.with["module"]?.stringValue ?? "modal_app"
        let cwd = step.path(step.with["cwd"]?.stringValue ?? (registryInput as NSString).deletingLastPathComponent)
        let timeout = try step.seconds("timeout", default: 900)
        guard let processorText = step.with["processor"]?.stringValue else {
            return StepRunResult(outputs: ["app": .string(app), "function": .null, "environment": .string(cli.modalEnvironment), "image": .null],
                                 summary: "would deploy a processor (named by an earlier step) to app \(app) in \(cli.modalEnvironment)", changed: false)
        }
        let processor = try ProcessorRef(processorText)
        let file: RegistryFile
        if let given = step.with["file"]?.stringValue {
            file = try RegistryFile(path: step.path(given))
            try file.check(processor)
        } else {
            file = try RegistryFile.load(processor, in: registry)
        }
        let shown = step.relative(file.path)
        // Modal runs linux/amd64: a file pinned per platform deploys its amd64 digest.
        let imageText = step.with["image"]?.stringValue ?? file.image ?? file.value(at: "image.platforms.amd64")
        guard let imageText else { throw RegistryFileError.noImage(file: shown) }
        let image: ImageReference
        do { image = try ImageReference(imageText) } catch {
            throw ResponseError.stepFailed("\(shown): image '\(imageText)' is not pinned to a digest; sync-modal deploys only repository@sha256:…",
                                           hint: "pin first: build and push the image, then pin-digest writes image.oci as repository@sha256:… (the main workflow does both)")
        }
        let runtime = try Runtime(file)
        let toolSecrets = step.with["tool-secrets"]?.arrayValue?.compactMap(\.stringValue) ?? file.requiredSecrets
        guard FileManager.default.fileExists(atPath: cwd) else {
            throw ResponseError.invalidInput("with.cwd", "\(cwd) does not exist (it should hold \(module).py)")
        }
        var env = cli.environment
        env["PROCESSOR_REF"] = processor.description
        env["IMAGE_REF"] = image.description
        env["TOOL_SECRETS"] = toolSecrets.joined(separator: ",")
        env["MODAL_ENVIRONMENT"] = cli.modalEnvironment
        env["MODAL_APP_NAME"] = app
        // A deploy replaces the app's whole set of functions: the module defines the other processors' from here.
        env["REGISTRY_DIR"] = registry
        for (k, v) in runtime.environment { env[k] = v }
        let outputs: [String: JSONValue] = ["app": .string(app), "function": .string(processor.functionName),
                                            "environment": .string(cli.modalEnvironment), "image": .string(image.description)]
        let limits = runtime.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        if step.isDryRun {
            return StepRunResult(outputs: outputs, summary: "would run `modal deploy --env \(cli.modalEnvironment) -m \(module)` in \(step.relative(cwd)) for \(processor.functionName) in app \(app): image \(image), secrets [\(toolSecrets.joined(separator: ", "))]\(limits.isEmpty ? "" : ", \(limits)")", changed: false)
        }
        if !ModalCLI.missingTokens(step).isEmpty { step.log("MODAL_TOKEN_ID/MODAL_TOKEN_SECRET not granted: modal uses its own configuration", level: .warning) }

        let command = "modal deploy --env \(cli.modalEnvironment) -m \(module)"
        step.log("$ \(command)  (\(processor.functionName), image \(image)\(limits.isEmpty ? "" : ", \(limits)"))")
        let deployed = try await step.runProcess([cli.executable, "deploy", "--env", cli.modalEnvironment, "-m", module], cwd: cwd, environment: env, timeout: timeout)
        guard deployed.succeeded && !deployed.timedOut else { throw cli.failure(command, deployed, timeout: timeout) }

        if step.with["verify"]?.boolValue ?? true {
            try await verify(step, cli, app: app, processor: processor, module: module, cwd: cwd, timeout: min(timeout, 120), outputs: outputs)
        }
        return StepRunResult(outputs: outputs, summary: "deployed \(processor.functionName) to app \(app) in \(cli.modalEnvironment) (image \(image.digest.prefix(19))…)")
    }

    /// Hydrates the function by name: Modal answers NotFoundError (exit 3) when it is not in that app and environment.
    static func verify(_ step: StepContext, _ cli: ModalCLI, app: String, processor: ProcessorRef, module: String, cwd: String,
                       timeout: Double, outputs: [String: JSONValue]) async throws {
        let python = step.with["python"]?.stringValue ?? "python3"
        let checked = try await step.capture([python, "-c", verifyScript, app, processor.functionName, cli.modalEnvironment],
                                             cwd: cwd, environment: cli.environment, timeout: timeout)
        cli.log(checked, to: step)
        if checked.status == .exited(4) {
            throw ResponseError.stepFailed("cannot check that \(processor.functionName) exists: \(python) cannot import the modal package",
                                           hint: "install it where the check runs (pip install modal), name that Python in the python input, or set verify: false",
                                           outputs: outputs)
        }
        if checked.status == .exited(3) {
            throw ResponseError.stepFailed("function not found after modal deploy: \(processor.functionName) is not in app \(app) of Modal environment \(cli.modalEnvironment)",
                                           hint: "check that the deploy ran in the intended Modal environment (--env dev|staging|main; here '\(cli.modalEnvironment)'); the function name is exec__{slug}__v{ver} from the processor ref (\(processor.functionName), named by \(module).py); check that modal deploy completed",
                                           outputs: outputs)
        }
        guard checked.succeeded && !checked.timedOut else { throw cli.failure("modal.Function.from_name(…).hydrate()", checked, timeout: timeout) }
    }
}
