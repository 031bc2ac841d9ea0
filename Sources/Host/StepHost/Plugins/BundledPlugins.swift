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
    ]

    public static func descriptors() throws(PluginError) -> [PluginDescriptor] {
        var out: [PluginDescriptor] = []
        for f in files {
            out.append(try PluginDescriptor.parse(f.text, file: "<bundled>/plugins.d/\(f.name)", origin: .bundled, baseDirectory: "/"))
        }
        return out
    }
}
