/// Left-aligned columns separated by two spaces; the last column is not padded.
public enum TextTable {
    public static func lines(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for r in rows { for (k, c) in r.enumerated() where k < widths.count { widths[k] = max(widths[k], c.count) } }
        func fmt(_ cols: [String]) -> String {
            cols.enumerated().map { k, c in k == cols.count - 1 ? c : c.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return [fmt(header)] + rows.map(fmt)
    }
}
