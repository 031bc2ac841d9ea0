enum Help {
    static let top = """
    stephost \(version): runs a pipeline manifest's steps as plugin processes.

    usage: stephost <command> [options]

    commands:
      run [WORKFLOW]     run the triggered workflows, or WORKFLOW
      validate           check every workflow of the manifest (exit 0 or 2)
      plan [WORKFLOW]    print the expanded step graph with the inputs known before running
      graph [WORKFLOW]   print the step graph as Mermaid (default) or Graphviz dot
      plugins            list the plugins stephost can see, with their steps
      yaml FILE          print a YAML file as stephost parses it, as JSON
      runs [show ID]     list the recorded runs of the workspace, print one, merge several
      ci github WORKFLOW print a GitHub Actions workflow that spreads WORKFLOW over a matrix
      stats [WORKFLOW]   how long steps and kinds of step take over the recorded runs
      schema KIND        print a JSON Schema: manifest (with plugins' inputs), events, descriptor
      plugin new|check   write a working plugin; check a plugin against the protocol
      completion SHELL   print a completion script for bash, zsh or fish

    options every command that reads a manifest accepts:
      -f, --file FILE          the manifest (default: stephost.yaml)
      --workspace DIR          the plugins' working directory (default: the git top level)
      --plugin NAME=COMMAND    use COMMAND as plugin NAME (replaces a descriptor of that name)
      --plugins DIR            another folder of plugin descriptors (repeatable)

    stephost <command> --help shows a command's options. Docs: docs/manifest.md, docs/protocol.md.

    """

    static let commands: [String: String] = [
        "run": """
        usage: stephost run [WORKFLOW] [options]

        Runs WORKFLOW whatever its triggers, or every workflow whose 'on:' matches the event.
        Exit status: 0 all steps succeeded or were skipped, 1 a step failed, 2 usage, manifest,
        plugin or secret error before any step ran, 130/143 interrupted by SIGINT/SIGTERM.

          -f, --file FILE          the manifest (default: stephost.yaml)
          --env ENV                the environment (secrets, vars) steps run in by default
          -j, --jobs N             steps running at once (default: number of processors)
          --dry-run                plugins say what they would do and change nothing
          --fail-fast              the first failure cancels running steps and starts no new ones
          --event E                push | pull_request | manual (default: manual, or GitHub's event)
          --branch B               the branch (default: the checked-out branch, or GitHub's)
          --base SHA, --head SHA   the commits to compare for 'paths:' triggers (head defaults to HEAD)
          --label L                a pull request label (repeatable)
          --var NAME=VALUE         set vars.NAME over the environment's vars (repeatable)
          --timeout D              cancel the whole run after D (e.g. 30m)
          --init-timeout D         how long a plugin may take to answer initialize (default 30s)
          --cancel-grace D         wait after asking a step to stop before SIGTERM (default 10s)
          --json                   print the run summary as JSON on stdout, logs on stderr
          --progress MODE          auto (default), tty (a live view) or plain (one line per event)
          -q, --quiet              only failed steps and the final table
          --no-color               no colour in the live view (also: NO_COLOR set)
          --ci SYSTEM              github, buildkite or none (default: from GITHUB_ACTIONS / BUILDKITE)
          --junit FILE             write the run as JUnit XML (also when it fails or is interrupted)
          --events FILE|-          write every event as JSON Lines (-: stdout; see stephost schema events)
          --github-output N=EXPR   after the run, append EXPR's value to $GITHUB_OUTPUT as N (repeatable)
          -v, --verbose            also print plugins' stderr, debug logs and progress
          --resume [RUN_ID|last]   rerun what did not succeed in that run (default: the last one)
                                   and reuse the recorded outputs of the steps that did; its
                                   workflows, --env and --var apply unless given here
          --fresh-process          one plugin process per step (no reuse; for benchmarks)
          --only SEL               only these steps start: ID, ID[KEY] or ID[KEY1,KEY2], comma-separated;
                                   needs left out must have succeeded in the --resume run (their
                                   outputs feed the selected steps); the rest: skipped (not selected)
          --until ID[,ID]          ID and everything it needs, nothing else
          --run-id ID              the record's folder name (.stephost/runs/ID) instead of a new one
          --record DIR             write every plugin exchange (masked) and descriptor into DIR
          --replay DIR             replay the plugins recorded in DIR (matched by step name and inputs);
                                   --plugin NAME=COMMAND still wins
          --resume [RUN]           also a record folder by path (copied from another checkout), or
                                   --resume=ID for a record named with runs merge --id
          --resume-other-commit    resume a record made at another commit than the one checked out
          --trust                  run an untrusted event (a fork's pull request, pull_request_target)
                                   with its secrets and the workspace's plugins (see docs/security.md)
          --args-json JSON         (any command) arguments as a JSON list of strings, as generated CI
                                   files pass them through the environment: --args-json "$STEPHOST_ARGS"
          --workspace DIR, --plugin NAME=COMMAND, --plugins DIR  (see stephost --help)

        With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, the finished run is
        sent as an OpenTelemetry trace over OTLP/HTTP JSON (headers from OTEL_EXPORTER_OTLP_HEADERS,
        masked); a collector that does not answer within 5 s costs a warning, never the run.
        With STEPHOST_RECORD_SECRET set, every run signs its record (record.hmac), and --resume,
        runs merge and runs show refuse a record that is unsigned or changed.
        """,
        "validate": """
        usage: stephost validate [-f FILE] [--env ENV] [--plugin NAME=COMMAND] [--plugins DIR] [--workspace DIR]

        Checks every workflow for everything `stephost run` would stop on before starting a step: YAML,
        keys, step names, needs, cycles, expressions, literal inputs against each plugin's schema (the
        plugins are started to ask for it), environments, and which secrets each step can be granted
        (a step without its own environment: must find all of its secrets in one environment; with
        --env, in that one). Reads no secret value. Exit 0 or 2.
        """,
        "plan": """
        usage: stephost plan [WORKFLOW] [-f FILE] [--env ENV] [--json] [--event/--branch/--base/--head/--label] [--var NAME=VALUE]
               stephost plan WORKFLOW --format github-matrix --step ID [--resume RUN] [--chunks N] [--github-output NAME]
               stephost plan WORKFLOW --format buildkite [--resume RUN]

        Prints the expanded step graph without running anything: each step, what it needs, and its
        inputs where they are known before running (inputs that read other steps' outputs stay as written).

        github-matrix: the instances of for-each step ID as {"include": [{"only", "key", "name"}, …]},
        its list evaluated from RUN's recorded outputs (or a literal list without --resume). Past 256
        instances (GitHub's limit), or with --chunks N, at most N legs with the instances dealt
        round-robin. --github-output NAME also appends NAME and NAME-count to $GITHUB_OUTPUT.
        buildkite: a pipeline for `buildkite-agent pipeline upload`, a command step per step and per
        known instance (at most 500 steps per YAML document); with --resume, what ended there is left out.
        """,
        "ci": """
        usage: stephost ci github WORKFLOW --fan-out ID [--legs ID,ID] [--runs-on LABEL] [--action REF] [--chunks N] [-f FILE] [--env ENV]

        Prints a GitHub Actions workflow for WORKFLOW: a prepare job runs what ID needs (--until) and
        plans the matrix; one leg per instance of ID (or chunk) runs ID's instances, with the for-each
        steps over the same list that follow it, need nothing else and leave the checkout alone
        (docker-build, ghcr-push, smoke-test; or --legs), each on its own runner; a finish
        job merges every record and runs the rest with --resume. Records travel as artifacts
        (actions/upload-artifact@v4, download-artifact@v4); secrets come from the repository's secrets.
        --action: how jobs install stephost (default stephost-dev/stephost@v1).
        """,
        "graph": """
        usage: stephost graph [WORKFLOW] [-f FILE] [--format mermaid|dot]

        Prints the step graph of WORKFLOW, or of every workflow; each node is labelled with its id and uses.
        """,
        "plugins": """
        usage: stephost plugins [-f FILE] [--plugin NAME=COMMAND] [--plugins DIR]

        Lists every plugin stephost can see (in search order): its version, its steps and its descriptor.
        """,
        "runs": """
        usage: stephost runs [--limit N] [--json] [-f FILE | --workspace DIR]
               stephost runs show [RUN_ID|last] [--json]
               stephost runs prune --keep N
               stephost runs merge RUN_OR_DIR... [--id NEW]

        Lists the runs recorded in the workspace's .stephost/runs/, newest first (default 20), with
        status (success, failure, interrupted, running, or killed when the journal has no end) and
        duration, dry runs marked; `runs show` prints one run's steps ('last': the newest run that
        was not a dry run). A run id may be abbreviated to a unique prefix. `runs prune --keep N`
        removes all but the newest N runs (never one that is still running). `runs merge` writes one
        record from several (the pieces of a run split across machines): each step once, a success over
        a failure; the same step succeeding in two with different definitions or outputs is refused
        (exit 2) naming both. It prints the new id; `run --resume=ID` then runs what is left.
        """,
        "stats": """
        usage: stephost stats [WORKFLOW] [--last N] [--json] [--html FILE] [-f FILE | --workspace DIR]

        Over the newest N recorded runs of the workspace (default 30; of WORKFLOW when given; dry runs
        left out): per step and per kind (build, publish, deploy, test, ... see `kind:`), how many
        executions, the success rate, median and p95 duration, the last duration and its change
        against the median. A for-each step counts each instance; skipped, cancelled and reused
        steps are not executions. --json prints {runs, steps, kinds}; --html FILE writes one
        self-contained page with a chart per kind and per step (no script, nothing fetched).
        """,
        "schema": """
        usage: stephost schema manifest [--plugins] [-f FILE] | events | descriptor

        Prints a JSON Schema (draft-07): of the manifest, with each bundled plugin's `with:` inputs
        (--plugins: also the plugins found for the manifest, -f, default ./stephost.yaml), so an
        editor completes and checks them; of the run's events (each line of `run --events` and of a
        run's journal.jsonl); of a plugin descriptor (plugins.d/NAME.yaml).
        """,
        "plugin": """
        usage: stephost plugin new NAME --lang sh|python|swift [--dir DIR] [--stephost-source DIR]
               stephost plugin check NAME | -- COMMAND [ARG...] [--json] [--init-timeout D] [--cancel-grace D]

        new: writes a working plugin into DIR (default .): plugins.d/NAME.yaml, plugins/NAME/ (the
        script, or a Swift package using PluginKit by path from the stephost checkout it was built from,
        or --stephost-source), NAME.example.yaml and a README. It passes `plugin check` as written.
        Never overwrites a file.
        check: runs a plugin (found as `run` finds it: plugins.d next to -f, default ./stephost.yaml, or
        ./plugins.d, then --plugins, STEPHOST_PLUGIN_PATH, the bundled ones) through every rule of the
        protocol it can test from outside, one line each: PASS, FAIL (what was sent, what came back)
        or SKIP (why). Steps are sent as dry runs. Exit 0 when nothing failed, 1 otherwise.
        """,
        "completion": """
        usage: stephost completion bash|zsh|fish

        Prints a completion script: eval "$(stephost completion bash)" in ~/.bashrc, the same with
        zsh in ~/.zshrc, or stephost completion fish | source in ~/.config/fish/config.fish.
        Completes commands, options, and the workflows of ./stephost.yaml (or -f FILE).
        """,
        "yaml": """
        usage: stephost yaml FILE

        Prints FILE as stephost's YAML parser reads it, as JSON; errors are FILE:LINE:COLUMN: message.
        """,
    ]
}
