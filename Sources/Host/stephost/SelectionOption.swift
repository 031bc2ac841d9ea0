import StepRun

/// `--only SEL`: a comma-separated list of `ID` (a step, all of its instances), `ID[KEY]` (one instance)
/// or `ID[KEY1,KEY2]`; for-each keys never hold `,`, `[`, `]` or control characters.
extension StepSelection {
    /// Reads `--only`'s value.
    init(parsing text: String) throws(CommonOptions.UsageError) {
        self.init()
        var items: [String] = []
        var current = ""
        var inBrackets = false
        for c in text {
            if c == "[" {
                if inBrackets { throw CommonOptions.UsageError(description: "--only \(text): '[' inside '[…]'") }
                inBrackets = true
            } else if c == "]" {
                if !inBrackets { throw CommonOptions.UsageError(description: "--only \(text): ']' without '['") }
                inBrackets = false
            } else if c == "," && !inBrackets {
                items.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        if inBrackets { throw CommonOptions.UsageError(description: "--only \(text): '[' without ']'") }
        items.append(current)
        for raw in items {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { throw CommonOptions.UsageError(description: "--only \(text): an empty item (give ID, ID[KEY] or ID[KEY1,KEY2], separated by commas)") }
            guard let open = item.firstIndex(of: "[") else { self.add(item, .whole); continue }
            guard item.hasSuffix("]") else { throw CommonOptions.UsageError(description: "--only \(text): '\(item)' goes on after ']'") }
            let id = String(item[..<open])
            let keys = item[item.index(after: open)..<item.index(before: item.endIndex)]
                .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if id.isEmpty { throw CommonOptions.UsageError(description: "--only \(text): '\(item)' names no step before '['") }
            if keys.contains("") { throw CommonOptions.UsageError(description: "--only \(text): '\(item)' has an empty key") }
            self.add(id, .keys(Set(keys)))
        }
    }
}
