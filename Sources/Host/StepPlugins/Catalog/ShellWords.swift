/// Splits a command line by POSIX shell quoting rules, without any expansion.
public enum ShellWords {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func split(_ s: String) throws(Error) -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var it = Array(s)
        it.append(" ")
        var k = 0
        while k < it.count {
            let c = it[k]
            switch c {
            case " ", "\t", "\n":
                if inWord { words.append(cur); cur = ""; inWord = false }
            case "'":
                inWord = true
                k += 1
                while k < it.count - 1 && it[k] != "'" { cur.append(it[k]); k += 1 }
                guard k < it.count - 1 else { throw Error(description: "unterminated single quote in '\(s)'") }
            case "\"":
                inWord = true
                k += 1
                while k < it.count - 1 && it[k] != "\"" {
                    if it[k] == "\\" && k + 1 < it.count - 1 && "$`\"\\\n".contains(it[k + 1]) { k += 1 }
                    cur.append(it[k]); k += 1
                }
                guard k < it.count - 1 else { throw Error(description: "unterminated double quote in '\(s)'") }
            case "\\":
                inWord = true
                if k + 1 < it.count - 1 { k += 1; if it[k] != "\n" { cur.append(it[k]) } }
            default:
                inWord = true
                cur.append(c)
            }
            k += 1
        }
        return words
    }
}
