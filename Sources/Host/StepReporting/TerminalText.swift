/// Text from plugins, records or runs as stephost may print it to a terminal or a CI log: control
/// characters removed (C0 but tab and the newlines it is split at, DEL, and C1 U+0080–U+009F), so no
/// ESC, OSC or CSI sequence from a record or a plugin reaches the reader's terminal.
public enum TerminalText {
    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u != "\t" && u != "\n") || (0x7F...0x9F).contains(u.value)
    }

    public static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        out.unicodeScalars.append(contentsOf: s.unicodeScalars.filter { !isControl($0) })
        return out
    }
}
