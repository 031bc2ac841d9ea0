import StepProtocol

/// `stephost schema manifest|descriptor`: JSON Schemas (draft-07, what editors' YAML language
/// servers support best) of `stephost.yaml` and of a plugin descriptor. The manifest's carries,
/// per step name it is given, that step's `with:` inputs, so an editor completes them.
public enum ManifestSchema {
    static let draft = "http://json-schema.org/draft-07/schema#"
    static let duration: JSONValue = ["type": "string", "pattern": #"^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$"#, "minLength": 2,
                                      "description": "one or more of <n>h, <n>m, <n>s, <n>ms in that order, such as 90s or 1m30s (a bare number needs a unit)"]
    static let expression: JSONValue = ["type": "string", "pattern": #"\$\{\{"#, "description": "an expression: ${{ … }}"]
    static let stringList: JSONValue = ["type": "array", "items": ["type": "string"]]
    static let scalar: JSONValue = ["type": ["string", "number", "boolean"]]

    /// The manifest's schema; `steps` are the step names it knows, each with its input schema.
    public static func manifest(steps: [StepDescription]) -> JSONValue {
        let names = steps.map(\.name).sorted()
        var perStep: [JSONValue] = []
        for s in steps.sorted(by: { $0.name < $1.name }) {
            guard let inputs = s.inputs else { continue }
            perStep.append(["if": ["properties": ["uses": ["const": .string(s.name)]], "required": ["uses"]],
                            "then": ["properties": ["with": withInputs(inputs, description: s.description)]]])
        }
        let env: JSONValue = ["type": "object", "description": "variables: ${{ env.NAME }} in expressions, and params.env of every step",
                              "propertyNames": ["pattern": "^[A-Za-z_][A-Za-z0-9_]*$"], "additionalProperties": scalar]
        let step: JSONValue = [
            "type": "object", "required": ["id", "uses"], "additionalProperties": false,
            "properties": [
                "id": ["type": "string", "pattern": "^[a-z0-9_-]+$", "description": "unique in the workflow; a-z, 0-9, _ and -"],
                "uses": ["description": "the step name a plugin provides", "anyOf": [["enum": .array(names.map(JSONValue.string))], ["type": "string"]]],
                "with": ["type": "object", "description": "the step's inputs, checked against its plugin's schema; values may hold ${{ }} expressions"],
                "needs": ["type": "array", "items": ["type": "string", "pattern": "^[a-z0-9_-]+$"],
                          "description": "steps this one waits for ([] for none); without it, the step before it in the list"],
                "for-each": ["description": "a list, or an expression that yields one: one instance per item (id[KEY])",
                             "anyOf": [expression, ["type": "array"]]],
                "max-parallel": ["type": "integer", "minimum": 1, "description": "instances running at once"],
                "timeout": duration.merging(["description": "per attempt; default 60m"]),
                "retry": ["type": "object", "additionalProperties": false, "description": "attempts, backoff (doubling), when",
                          "properties": ["attempts": ["type": "integer", "minimum": 1], "backoff": duration,
                                         "when": ["enum": ["retryable", "always"], "description": "retryable (default): only failures the plugin marks so"]]],
                "continue-on-error": ["type": "boolean", "description": "a failure counts as succeeded for what needs it"],
                "if": ["type": ["string", "boolean"], "description": "an expression; success() && is put in front unless it calls success(), failure(), always() or cancelled()"],
                "environment": ["type": "string", "description": "the environment whose secrets and vars it gets (literal, env.* or run.*); default the run's --env"],
                "secrets": ["description": "the secrets granted to this step only: names, or {NAME_IN_STEP: NAME_IN_ENVIRONMENT}",
                            "anyOf": [stringList, ["type": "object", "additionalProperties": ["type": "string"]]]],
                "env": env.merging(["description": "variables over the workflow's, passed to the step in params.env"]),
                "kind": ["type": "string", "pattern": "^[a-z0-9_-]+$", "description": "for metrics: build, publish, deploy, test, check, or a word of your own"],
            ],
            "allOf": .array(perStep),
        ]
        let filters: [String: JSONValue] = ["branches": stringList, "paths": stringList]
        let trigger = { (keys: [String: JSONValue]) -> JSONValue in
            ["type": ["object", "null"], "additionalProperties": false, "properties": .object(keys)]
        }
        let on: JSONValue = [
            "description": "the events that start it: push, pull_request, manual",
            "anyOf": [
                ["enum": ["push", "pull_request", "manual"]],
                ["type": "array", "items": ["enum": ["push", "pull_request", "manual"]]],
                ["type": "object", "additionalProperties": false, "properties": [
                    "push": trigger(filters), "pull_request": trigger(filters.merging(["labels": stringList]) { $1 }),
                    "manual": ["type": ["object", "null"], "maxProperties": 0],
                ]],
            ],
        ]
        let workflow: JSONValue = [
            "type": "object", "required": ["steps"], "additionalProperties": false,
            "properties": ["on": on, "env": env.merging(["description": "merged over the top-level env"]),
                           "steps": ["type": "array", "items": step, "description": "the workflow's steps"]],
        ]
        let environment: JSONValue = [
            "type": ["object", "null"], "additionalProperties": false,
            "properties": [
                "vars": ["type": "object", "description": "${{ vars.NAME }}"],
                "secrets": ["type": "object", "description": "name -> where its value comes from",
                            "additionalProperties": ["type": "string", "pattern": #"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)\??$"#,
                                                     "description": "env:VAR or file:PATH; a trailing ? makes it optional"]],
            ],
        ]
        return [
            "$schema": .string(draft), "$id": "https://stephost.dev/schemas/manifest-v1.json",
            "title": "stephost manifest (stephost.yaml)", "type": "object", "required": ["workflows"],
            "additionalProperties": false, "patternProperties": ["^x-": ["description": "your own (a place for blocks shared with YAML anchors); ignored"]],
            "properties": [
                "version": ["const": 1, "description": "the manifest format: 1"],
                "env": env,
                "environments": ["type": "object", "additionalProperties": environment, "description": "named deployment targets: vars and secrets"],
                "pass-env": ["description": "host variables exec commands also see: names, or prefixes ending in *",
                             "anyOf": [stringList, ["type": "string"]]],
                "override": ["description": "bundled step names that a descriptor inside the workspace (plugins.d/) may serve instead of stephost's own",
                             "anyOf": [stringList, ["type": "string"]]],
                "hints": ["type": "array", "description": "your own troubleshooting table",
                          "items": ["type": "object", "required": ["match", "hint"], "additionalProperties": false,
                                    "properties": ["match": ["type": "string", "minLength": 1, "description": "a regular expression (case-insensitive)"],
                                                   "hint": ["type": "string", "minLength": 1], "uses": ["type": "string"]]]],
                "workflows": ["type": "object", "additionalProperties": workflow, "propertyNames": ["pattern": "^[A-Za-z0-9_.-]+$"]],
            ],
        ]
    }

    /// A step's input schema as `with:` is written: any input may instead be an expression, and
    /// where it says string, a plain scalar passes its source text.
    static func withInputs(_ inputs: JSONValue, description: String?) -> JSONValue {
        guard var o = inputs.objectValue else { return inputs }
        if var props = o["properties"]?.objectValue {
            for (k, p) in props {
                var either: [String: JSONValue] = ["anyOf": [loosened(p), expression]]
                if let d = p["description"] { either["description"] = d }
                props[k] = .object(either)
            }
            o["properties"] = .object(props)
        }
        if let description, o["description"] == nil { o["description"] = .string(description) }
        return .object(o)
    }

    static func loosened(_ p: JSONValue) -> JSONValue {
        guard var o = p.objectValue else { return p }
        if o["type"] == "string" { o["type"] = ["string", "number", "boolean"] }
        if let items = o["items"] { o["items"] = ["anyOf": [loosened(items), expression]] }
        return .object(o)
    }

    /// A plugin descriptor's schema (`plugins.d/NAME.yaml`).
    public static var descriptor: JSONValue {
        [
            "$schema": .string(draft), "$id": "https://stephost.dev/schemas/descriptor-v1.json",
            "title": "stephost plugin descriptor (plugins.d/NAME.yaml)", "type": "object",
            "required": ["name", "command", "steps"], "additionalProperties": false,
            "properties": [
                "name": ["type": "string", "minLength": 1, "description": "the plugin's name (--plugin NAME=… replaces it)"],
                "command": ["description": "argv; command[0] with a / is relative to this file's folder, a bare name is found next to stephost, then in PATH",
                            "anyOf": [["type": "array", "items": ["type": "string"], "minItems": 1], ["type": "string", "minLength": 1]]],
                "steps": ["type": "array", "items": ["type": "string"], "minItems": 1, "description": "the step names it provides"],
                "env": ["type": "array", "items": ["type": "string"], "description": "host environment variables it may see"],
            ],
        ]
    }
}

extension JSONValue {
    /// An object with the given members added (or replaced).
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard var o = objectValue else { return self }
        for (k, v) in other { o[k] = v }
        return .object(o)
    }
}
