extension YAMLParser {
    /// Scans plain text on the current line up to its terminator and returns
    /// the offsets of the text without trailing spaces; `i` ends after the text.
    mutating func scanPlainLine(flow: Bool) -> (Int, Int) {
        let start = i
        var end = i
        while !atEnd && !isBreak(b[i]) {
            let c = b[i]
            if c == UInt8(ascii: "#") && i > start && isSpace(b[i - 1]) { break }
            if c == UInt8(ascii: ":") {
                let n = peek(1)
                if isBlankOrEnd(1) { break }
                if flow && (n == UInt8(ascii: ",") || n == UInt8(ascii: "[") || n == UInt8(ascii: "]")
                    || n == UInt8(ascii: "{") || n == UInt8(ascii: "}")) { break }
            }
            if flow && (c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
                || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")) { break }
            i += 1
            if !isSpace(c) { end = i }
        }
        i = end
        return (start, end)
    }

    /// A plain scalar in block context, folding continuation lines indented
    /// deeper than `parentIndent`.
    mutating func plainScalarBlock(parentIndent: Int) throws(YAMLError) -> YAMLNode {
        let (start, firstEnd) = scanPlainLine(flow: false)
        var text = String(decoding: b[start..<firstEnd], as: UTF8.self)
        var end = firstEnd
        while true {
            skipInlineSpace()
            if !atEnd && b[i] == UInt8(ascii: "#") { break }
            guard !atEnd else { break }
            if !isBreak(b[i]) { throw error("unexpected ':' or character in plain scalar; quote the value") }
            // Look at the following lines without committing.
            let afterBreak = nextLineStart(i)
            var k = afterBreak
            var empties = 0
            var contentAt: Int?
            var indentation = 0
            while k < b.count {
                var s = k
                while s < b.count && b[s] == 0x20 { s += 1 }
                indentation = s - k
                if s >= b.count { break }
                if b[s] == 0x09 { while s < b.count && isSpace(b[s]) { s += 1 } }
                if s >= b.count || isBreak(b[s]) { empties += 1; k = nextLineStart(s); continue }
                contentAt = s
                break
            }
            // A continuation line is indented with spaces deeper than the parent; tabs after them only separate.
            guard let at = contentAt, indentation > parentIndent, b[at] != UInt8(ascii: "#") else { break }
            if at - lineStartOf(at) == 0 && (startsWith("---", at) || startsWith("...", at)) { break }
            i = at
            if looksLikeKey() {
                throw error("a mapping key inside a multi-line plain scalar; check the indentation of the line before")
            }
            let (s, e) = scanPlainLine(flow: false)
            text += (empties == 0 ? " " : String(repeating: "\n", count: empties)) + String(decoding: b[s..<e], as: UTF8.self)
            end = e
        }
        i = end
        let node = YAMLNode(kind: .scalar(text), style: .plain, position: position(start), startOffset: start, endOffset: end)
        try finishLine()
        return node
    }

    func nextLineStart(_ k: Int) -> Int {
        var k = k
        while k < b.count && b[k] != 0x0A { k += 1 }
        return min(k + 1, b.count)
    }

    func lineStartOf(_ k: Int) -> Int {
        var k = k
        while k > 0 && b[k - 1] != 0x0A { k -= 1 }
        return k
    }

    func startsWith(_ s: String, _ at: Int) -> Bool {
        let u = Array(s.utf8)
        return at + u.count <= b.count && Array(b[at..<at + u.count]) == u
    }

    /// A document marker (`---` or `...` followed by a blank) at `at`.
    func startsMarker(_ m: String, _ at: Int) -> Bool {
        startsWith(m, at) && (at + 3 >= b.count || isSpace(b[at + 3]) || isBreak(b[at + 3]))
    }

    /// A single- or double-quoted scalar; `i` ends after the closing quote.
    /// Its continuation lines need `minIndent` leading spaces (its block
    /// parent's indentation + 1) and may not be a document marker.
    mutating func quotedScalar(minIndent: Int) throws(YAMLError) -> YAMLNode {
        let start = i
        let quote = b[i]
        let double = quote == UInt8(ascii: "\"")
        i += 1
        var out: [UInt8] = []
        /// Output up to here came from escapes: white space an escape wrote is kept at a line end.
        var escaped = 0
        while true {
            guard !atEnd else { throw error("unterminated \(double ? "double" : "single")-quoted string", at: start) }
            let c = b[i]
            if c == quote {
                if !double && peek(1) == quote { out.append(quote); i += 2; continue }
                i += 1
                break
            }
            if isBreak(c) {
                while out.count > escaped, let last = out.last, isSpace(last) { out.removeLast() }
                i = nextLineStart(i)
                var empties = 0
                while true {
                    let lineStart = i
                    while !atEnd && b[i] == 0x20 { i += 1 }
                    let spaces = i - lineStart
                    skipInlineSpace()
                    if !atEnd && isBreak(b[i]) { empties += 1; i = nextLineStart(i); continue }
                    if spaces == 0 && (startsMarker("---", lineStart) || startsMarker("...", lineStart)) {
                        throw error("a document marker inside a quoted string; close the quote before it", at: lineStart)
                    }
                    if !atEnd && spaces < minIndent {
                        throw error("a quoted string's continuation line must be indented with at least \(minIndent) space\(minIndent == 1 ? "" : "s")", at: lineStart)
                    }
                    break
                }
                if empties == 0 { out.append(0x20) } else { out.append(contentsOf: Array(repeating: 0x0A, count: empties)) }
                continue
            }
            if double && c == UInt8(ascii: "\\") {
                i += 1
                guard !atEnd else { continue }
                let e = b[i]
                i += 1
                switch e {
                case 0x0A, 0x0D:
                    if e == 0x0D && peek() == 0x0A { i += 1 }
                    skipInlineSpace()
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "a"): out.append(7)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "t"), 0x09: out.append(9)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "v"): out.append(11)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "e"): out.append(0x1B)
                case UInt8(ascii: " "): out.append(0x20)
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "N"): out.append(contentsOf: [0xC2, 0x85])
                case UInt8(ascii: "_"): out.append(contentsOf: [0xC2, 0xA0])
                case UInt8(ascii: "L"): out.append(contentsOf: [0xE2, 0x80, 0xA8])
                case UInt8(ascii: "P"): out.append(contentsOf: [0xE2, 0x80, 0xA9])
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                    guard i + n <= b.count, let v = UInt32(String(decoding: b[i..<i + n], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(v) else {
                        throw error("invalid \\\(Character(Unicode.Scalar(e))) escape in double-quoted string", at: i - 2)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    i += n
                default:
                    throw error("unknown escape '\\\(Character(Unicode.Scalar(e)))' in double-quoted string", at: i - 2)
                }
                escaped = out.count
                continue
            }
            out.append(c)
            i += 1
        }
        return YAMLNode(kind: .scalar(String(decoding: out, as: UTF8.self)), style: double ? .doubleQuoted : .singleQuoted,
                        position: position(start), startOffset: start, endOffset: i)
    }

    /// A literal (`|`) or folded (`>`) block scalar; `i` ends at the start of the first line after it.
    mutating func blockScalar(parentIndent: Int) throws(YAMLError) -> YAMLNode {
        let start = i
        let literal = b[i] == UInt8(ascii: "|")
        i += 1
        var chomp: UInt8 = 0
        var indicator: Int?
        for _ in 0..<2 {
            let c = peek()
            if c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") && indicator == nil {
                indicator = Int(c - UInt8(ascii: "0")); i += 1
            } else if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && chomp == 0 {
                chomp = c; i += 1
            } else if c == UInt8(ascii: "0") {
                throw error("a block scalar's indentation indicator must be 1 to 9")
            }
        }
        if !atEnd && !isSpace(b[i]) && !isBreak(b[i]) {
            throw error("unexpected character after the block scalar indicator")
        }
        try finishLine()
        let base = max(parentIndent, 0)
        var contentIndent: Int
        if let m = indicator {
            contentIndent = (parentIndent < 0 ? 0 : base) + m
        } else {
            // The first line with content sets the indentation; blank lines before it may not be indented deeper.
            contentIndent = parentIndent + 1
            var widestBlank = 0
            var found = false
            var k = i
            while k < b.count {
                var s = k
                while s < b.count && b[s] == 0x20 { s += 1 }
                if s < b.count && !isBreak(b[s]) {
                    if b[s] == 0x09 && s - k <= parentIndent { break }
                    if s - k < widestBlank && s - k > parentIndent {
                        throw error("a blank line before the block scalar's first line has \(widestBlank) spaces, more than the \(s - k) of its indentation", at: k)
                    }
                    contentIndent = max(s - k, parentIndent + 1)
                    found = true
                    break
                }
                widestBlank = max(widestBlank, s - k)
                if s >= b.count { break }
                k = nextLineStart(s)
            }
            if !found { contentIndent = max(contentIndent, widestBlank) }
        }
        var lines: [[UInt8]] = []
        while !atEnd {
            let lineStart = i
            var k = 0
            while k < contentIndent && peek() == 0x20 { i += 1; k += 1 }
            if atEnd {
                if k > 0 { lines.append([]) }
                break
            }
            if isBreak(b[i]) {
                lines.append([])
                i = nextLineStart(i)
                continue
            }
            if k < contentIndent {
                if b[i] == 0x09 {
                    var e = i
                    while e < b.count && isSpace(b[e]) { e += 1 }
                    if e >= b.count || isBreak(b[e]) {
                        throw error("a tab where the block scalar's indentation is expected; YAML indents with spaces only", at: lineStart)
                    }
                }
                i = lineStart
                break
            }
            let s = i
            while !atEnd && !isBreak(b[i]) { i += 1 }
            var e = i
            if e > s && b[e - 1] == 0x0D { e -= 1 }
            lines.append(Array(b[s..<e]))
            i = nextLineStart(i)
        }
        var trailing = 0
        while let last = lines.last, last.isEmpty { lines.removeLast(); trailing += 1 }
        var out: [UInt8] = []
        if literal {
            for (n, l) in lines.enumerated() {
                if n > 0 { out.append(0x0A) }
                out.append(contentsOf: l)
            }
        } else {
            var pendingEmpty = 0
            var previousMore = false
            var started = false
            for l in lines {
                if l.isEmpty { pendingEmpty += 1; continue }
                let more = isSpace(l[0])
                if started {
                    if !previousMore && !more {
                        if pendingEmpty == 0 { out.append(0x20) } else { out.append(contentsOf: Array(repeating: 0x0A, count: pendingEmpty)) }
                    } else {
                        out.append(contentsOf: Array(repeating: 0x0A, count: pendingEmpty + 1))
                    }
                } else {
                    out.append(contentsOf: Array(repeating: 0x0A, count: pendingEmpty))
                }
                out.append(contentsOf: l)
                pendingEmpty = 0
                previousMore = more
                started = true
            }
            if !started && pendingEmpty > 0 { trailing += pendingEmpty }
        }
        switch chomp {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"):
            if !lines.isEmpty { out.append(0x0A) }
            out.append(contentsOf: Array(repeating: 0x0A, count: trailing))
        default:
            if !lines.isEmpty { out.append(0x0A) }
        }
        return YAMLNode(kind: .scalar(String(decoding: out, as: UTF8.self)), style: literal ? .literal : .folded,
                        position: position(start), startOffset: start, endOffset: i)
    }
}
