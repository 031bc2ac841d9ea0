/// The descriptors of the plugins that ship with stephost, known to the host
/// so that they work from any directory with no install step. They are the
/// files in the repository's `plugins.d/`, byte for byte (a test checks).
public enum BundledPlugins {
    public static let files: [(name: String, text: String)] = [
        ("exec.yaml", """
        # Runs a shell command or an argv list; see docs/plugins.md.
        name: exec
        command: [stephost-exec]
        steps: [exec]

        """),
        ("detect-changes.yaml", """
        # Lists the directories a commit range changed, per pattern; see docs/plugins.md#detect-changes.
        name: detect-changes
        command: [stephost-detect-changes]
        steps: [detect-changes]

        """),
        ("docker-build.yaml", """
        # Builds an image into an OCI layout with docker buildx or buildah; see docs/plugins.md#docker-build.
        name: docker-build
        command: [stephost-docker-build]
        steps: [docker-build]
        env: [BUILDKIT_HOST, DOCKER_HOST, DOCKER_CONFIG, DOCKER_CONTEXT, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY, BUILDX_CONFIG, STORAGE_DRIVER, CONTAINERS_STORAGE_CONF, CONTAINERS_CONF, CONTAINERS_REGISTRIES_CONF, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR]

        """),
        ("ghcr-push.yaml", """
        # Pushes an OCI layout to GHCR or any OCI registry and reports its digest; see docs/plugins.md#ghcr-push.
        name: ghcr-push
        command: [stephost-ghcr-push]
        steps: [ghcr-push]

        """),
        ("pin-digest.yaml", """
        # Pins an image digest into a processor's registry YAML; see docs/plugins.md#pin-digest.
        name: pin-digest
        command: [stephost-pin-digest]
        steps: [pin-digest]

        """),
        ("notify.yaml", """
        # Tells people that a run failed or recovered: a chat webhook, or a GitHub issue that resolves itself; see docs/plugins.md#notify.
        name: notify
        command: [stephost-notify]
        steps: [notify]
        env: [GITHUB_API_URL, GITHUB_REPOSITORY]

        """),
        ("bot-pr.yaml", """
        # Commits changed files on a branch and opens or updates its pull request; see docs/plugins.md#bot-pr.
        name: bot-pr
        command: [stephost-bot-pr]
        steps: [bot-pr]
        env: [GITHUB_API_URL, GITHUB_REPOSITORY]

        """),
        ("modal-secret.yaml", """
        # Ensures one Modal secret in one Modal environment (modal secret create --force); see docs/plugins.md#modal-secret.
        name: modal-secret
        command: [stephost-modal-secret]
        steps: [modal-secret]
        env: [MODAL_CONFIG_PATH, MODAL_PROFILE, MODAL_SERVER_URL]

        """),
        ("sync-modal.yaml", """
        # Deploys one processor's Modal function from its pinned registry file (modal deploy); see docs/plugins.md#sync-modal.
        name: sync-modal
        command: [stephost-sync-modal]
        steps: [sync-modal]
        env: [MODAL_CONFIG_PATH, MODAL_PROFILE, MODAL_SERVER_URL, PYTHONPATH]

        """),
        ("smoke-test.yaml", """
        # Checks that a command or an HTTP endpoint works, with expectations and retries; see docs/plugins.md#smoke-test.
        name: smoke-test
        command: [stephost-smoke-test]
        steps: [smoke-test]

        """),
    ]

    /// Whether `d` is a copy of a bundled descriptor (this repository's own plugins.d): it runs the bundled plugin.
    public static func isCopy(_ d: PluginDescriptor) -> Bool {
        guard let own = parsed.first(where: { $0.name == d.name }) else { return false }
        return own.command == d.command && own.steps == d.steps && own.env == d.env
    }

    /// The step names the bundled plugins provide.
    public static let stepNames: Set<String> = Set(parsed.flatMap { $0.steps ?? [] })

    /// The descriptors, read once.
    static let parsed: [PluginDescriptor] = (try? descriptors()) ?? []

    public static func descriptors() throws(PluginError) -> [PluginDescriptor] {
        var out: [PluginDescriptor] = []
        for f in files {
            out.append(try PluginDescriptor.parse(f.text, file: "<bundled>/plugins.d/\(f.name)", origin: .bundled, baseDirectory: "/"))
        }
        return out
    }
}
