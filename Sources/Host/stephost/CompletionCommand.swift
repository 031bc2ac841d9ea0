import Foundation
import StepYAML

/// `stephost completion bash|zsh|fish`: a completion script for the shell, completing commands,
/// their options, and workflow names from the manifest (`stephost __workflows`).
enum CompletionCommand {
    static let commands = ["run", "validate", "plan", "graph", "plugins", "yaml", "runs", "stats", "schema", "ci", "plugin", "completion", "help"]
    static let options: [String: [String]] = [
        "run": ["-f", "--file", "--env", "-j", "--jobs", "--dry-run", "--fail-fast", "--event", "--branch", "--base", "--head", "--label",
                "--var", "--timeout", "--init-timeout", "--cancel-grace", "--json", "--progress", "--quiet", "--no-color", "--ci", "--junit",
                "--events", "--github-output", "--verbose", "--resume", "--fresh-process", "--workspace", "--plugin", "--plugins",
                "--only", "--until", "--run-id", "--record", "--replay"],
        "validate": ["-f", "--file", "--env", "--workspace", "--plugin", "--plugins"],
        "plan": ["-f", "--file", "--env", "--json", "--format", "--step", "--chunks", "--github-output", "--resume", "--event", "--branch", "--base", "--head", "--label", "--var", "--workspace", "--plugin", "--plugins"],
        "graph": ["-f", "--file", "--format", "--workspace", "--plugin", "--plugins"],
        "plugins": ["-f", "--file", "--json", "--workspace", "--plugin", "--plugins"],
        "runs": ["show", "prune", "merge", "--id", "--keep", "--json", "--limit", "-f", "--file", "--workspace"],
        "stats": ["--last", "--json", "--html", "-f", "--file", "--workspace"],
        "schema": ["manifest", "events", "descriptor", "--plugins", "-f", "--file"],
        "plugin": ["new", "check", "--lang", "--dir", "--stephost-source", "--json", "--init-timeout", "--cancel-grace", "-f", "--file", "--plugins"],
        "ci": ["github", "--fan-out", "--legs", "--runs-on", "--action", "--chunks", "-f", "--file", "--env", "--var", "--workspace", "--plugin", "--plugins"],
        "completion": ["bash", "zsh", "fish"],
    ]

    static func main(_ argv: [String]) async -> Int32 {
        guard argv.count == 1 else { return CommonOptions.fail("completion takes one shell: bash, zsh or fish") }
        switch argv[0] {
        case "bash": print(bash)
        case "zsh": print("autoload -U +X bashcompinit && bashcompinit\n" + bash)
        case "fish": print(fish)
        default: return CommonOptions.fail("completion: unknown shell '\(argv[0])' (bash, zsh or fish)")
        }
        return 0
    }

    /// `stephost __workflows [FILE]`: the workflow names of a manifest, one a line (nothing when it cannot be read).
    static func workflows(_ argv: [String]) async -> Int32 {
        let file = argv.first ?? "stephost.yaml"
        guard let data = FileManager.default.contents(atPath: file),
              let root = try? YAMLParser.parse(String(decoding: data, as: UTF8.self), file: file) else { return 0 }
        for p in root["workflows"]?.pairs ?? [] { if let name = p.key.scalar { print(name) } }
        return 0
    }

    static var bash: String {
        let cases = options.sorted { $0.key < $1.key }.map { "        \($0.key)) opts=\"\($0.value.joined(separator: " "))\" ;;" }.joined(separator: "\n")
        return """
        # stephost completion for bash (and zsh with bashcompinit): eval "$(stephost completion bash)"
        _stephost() {
            local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} opts="" file=stephost.yaml i
            if [ "$COMP_CWORD" -eq 1 ]; then
                COMPREPLY=($(compgen -W "\(commands.joined(separator: " "))" -- "$cur")); return
            fi
            for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in -f|--file) file=${COMP_WORDS[i+1]} ;; esac
            done
            case ${COMP_WORDS[COMP_CWORD-1]} in
                -f|--file|--junit|--events|--plugins|--workspace) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                --progress) COMPREPLY=($(compgen -W "auto tty plain" -- "$cur")); return ;;
                --ci) COMPREPLY=($(compgen -W "github buildkite none" -- "$cur")); return ;;
            esac
            case $cmd in
        \(cases)
            esac
            case $cmd in
                run|plan|graph) [[ $cur != -* ]] && opts="$opts $(stephost __workflows "$file" 2>/dev/null)" ;;
            esac
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        }
        complete -o default -F _stephost stephost
        """
    }

    static var fish: String {
        var lines = ["# stephost completion for fish: stephost completion fish | source",
                     "complete -c stephost -f",
                     "complete -c stephost -n __fish_use_subcommand -a '\(commands.joined(separator: " "))'"]
        for (cmd, opts) in options.sorted(by: { $0.key < $1.key }) {
            for o in opts where o.hasPrefix("--") {
                lines.append("complete -c stephost -n '__fish_seen_subcommand_from \(cmd)' -l \(o.dropFirst(2))")
            }
            for o in opts where !o.hasPrefix("-") {
                lines.append("complete -c stephost -n '__fish_seen_subcommand_from \(cmd)' -a \(o)")
            }
        }
        lines.append("complete -c stephost -n '__fish_seen_subcommand_from run plan graph' -a '(stephost __workflows 2>/dev/null)'")
        return lines.joined(separator: "\n")
    }
}
