/// What a step is for, in metrics: `build`, `publish`, `deploy`, `test`, `check`, or any word.
/// The manifest's `kind:` wins; else the plugin's declaration in `initialize` (`steps[].kind`);
/// else the bundled steps' defaults below, also when a fake stands in for one of them; else `none`.
public enum StepKind {
    public static let none = "none"

    /// The bundled step names' kinds.
    public static let defaults: [String: String] = [
        "docker-build": "build",
        "ghcr-push": "publish", "pin-digest": "publish", "bot-pr": "publish",
        "modal-secret": "deploy", "sync-modal": "deploy",
        "smoke-test": "test",
    ]

    /// The kind of a step: `manifest` (its `kind:`), else `declared` (the plugin's), else the default for `uses`.
    public static func of(uses: String, manifest: String?, declared: String?) -> String {
        manifest ?? declared.flatMap { isWord($0) ? $0 : nil } ?? defaults[uses] ?? none
    }

    /// One word: a-z, 0-9, `_` and `-`.
    public static func isWord(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 40 && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
