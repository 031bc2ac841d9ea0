/// Parses the YAML 1.2 subset stephost reads (see docs/manifest.md).
///
/// Everything outside the subset (tags, directives, several documents,
/// complex keys, tabs as indentation, duplicate keys) is an error with its
/// position, never a silent misreading; what it accepts it reads as the YAML
/// 1.2 specification says (the official YAML test suite is run in the tests).
public struct YAMLParser {
    /// Parses one document; an empty document is a null scalar.
    public static func parse(_ text: String, file: String = "<input>") throws(YAMLError) -> YAMLNode {
        guard text.utf8.count <= maxDocumentBytes else {
            throw YAMLError(file: file, position: SourcePosition(line: 1, column: 1),
                            message: "the document is \(text.utf8.count) bytes, more than the 16 MiB stephost reads")
        }
        var p = YAMLParser(bytes: Array(text.utf8), file: file)
        return try p.document()
    }

    let b: [UInt8]
    let file: String
    var i = 0
    /// Collections open around the current node; deeper nesting than `maxDepth` is rejected, so hostile input cannot exhaust the stack.
    var depth = 0
    static let maxDepth = 200
    static let maxDocumentBytes = 16 << 20
    /// Anchors defined so far, and how many nodes aliases have created.
    var anchors: [String: Anchor] = [:]
    var aliasNodes = 0
    /// Leading spaces a continuation line of the current flow collection needs (its block parent's indentation + 1).
    var flowMinIndent = 0
    /// An anchor written before the first key of a block mapping (`&a key: v`): it belongs to that key.
    var pendingKeyAnchor: (String, Int)?
    /// Byte offset of the start of each line, for positions.
    let lineStarts: [Int]
    /// The last position asked for: parsing moves forward, so the next is usually on the same line, after it.
    private let lastPosition = PositionCache()

    final class PositionCache {
        var offset = -1, line = 0, column = 0, lineEnd = 0
    }

    init(bytes: [UInt8], file: String) {
        var starts = [0]
        for (k, c) in bytes.enumerated() where c == 0x0A { starts.append(k + 1) }
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.replaceSubrange(0..<3, with: [0x20, 0x20, 0x20]) }
        self.b = bytes
        self.file = file
        self.lineStarts = starts
    }

    // MARK: - Positions and errors

    /// The line and column (in characters) of a byte offset: a binary search for the line, then a
    /// count of the line's characters before it, over the bytes in place (every node asks, so this
    /// must not cost per-byte overhead on long lines).
    func position(_ offset: Int) -> SourcePosition {
        let last = lastPosition
        if last.offset >= 0, offset >= last.offset, offset < last.lineEnd {
            // Same line, further on: count only the characters in between.
            let col = b.withUnsafeBufferPointer { bytes -> Int in
                var col = last.column
                var k = last.offset
                let end = min(offset, bytes.count)
                while k < end {
                    if bytes[k] & 0xC0 != 0x80 { col += 1 }
                    k += 1
                }
                return col
            }
            last.offset = offset; last.column = col
            return SourcePosition(line: last.line + 1, column: col)
        }
        let line = lineStarts.withUnsafeBufferPointer { starts -> Int in
            var lo = 0, hi = starts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
        let start = lineStarts[line]
        let col = b.withUnsafeBufferPointer { bytes -> Int in
            var col = 1
            var k = start
            let end = min(offset, bytes.count)
            while k < end {
                if bytes[k] & 0xC0 != 0x80 { col += 1 }
                k += 1
            }
            return col
        }
        last.offset = offset; last.line = line; last.column = col
        last.lineEnd = line + 1 < lineStarts.count ? lineStarts[line + 1] : Int.max
        return SourcePosition(line: line + 1, column: col)
    }

    func error(_ message: String, at offset: Int? = nil) -> YAMLError {
        YAMLError(file: file, position: position(min(offset ?? i, b.count)), message: message)
    }

    /// Column (0-based) of an offset, in bytes from the line start.
    func column(_ offset: Int) -> Int {
        var k = offset
        while k > 0 && b[k - 1] != 0x0A { k -= 1 }
        return offset - k
    }

    // MARK: - Characters

    var atEnd: Bool { i >= b.count }
    func peek(_ k: Int = 0) -> UInt8 { i + k < b.count ? b[i + k] : 0 }
    func isBreak(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }
    func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    /// Blank after a character: space, tab, line break or end of input.
    func isBlankOrEnd(_ k: Int) -> Bool { i + k >= b.count || isSpace(b[i + k]) || isBreak(b[i + k]) }

    mutating func skipInlineSpace() { while !atEnd && isSpace(b[i]) { i += 1 } }

    /// True at a line break, end of input, or a comment (`#` after space or at line start).
    func atLineEnd() -> Bool {
        if atEnd || isBreak(b[i]) { return true }
        if b[i] == UInt8(ascii: "#") && (i == 0 || isSpace(b[i - 1]) || isBreak(b[i - 1])) { return true }
        return false
    }

    /// Skips trailing spaces and a comment, then the line break. Fails on other content.
    mutating func finishLine(_ what: String = "content") throws(YAMLError) {
        skipInlineSpace()
        guard atLineEnd() else { throw error("unexpected \(what) after the value; check indentation or quote the value") }
        while !atEnd && !isBreak(b[i]) { i += 1 }
        if !atEnd && b[i] == 0x0D { i += 1 }
        if !atEnd && b[i] == 0x0A { i += 1 }
    }

    /// Moves to the first content character of the next line that is neither
    /// blank nor a comment, and returns its indentation (the spaces before it;
    /// tabs after them only separate); nil at end of input.
    /// `i` must be at a line start.
    mutating func skipToContent() throws(YAMLError) -> Int? {
        while !atEnd {
            let lineStart = i
            while !atEnd && b[i] == 0x20 { i += 1 }
            let spaces = i - lineStart
            while !atEnd && isSpace(b[i]) { i += 1 }
            if atLineEnd() {
                while !atEnd && !isBreak(b[i]) { i += 1 }
                if !atEnd && b[i] == 0x0D { i += 1 }
                if !atEnd && b[i] == 0x0A { i += 1 }
                continue
            }
            return spaces
        }
        return nil
    }

    /// Fails when a tab stands in the white space just before `k`: a block
    /// collection's indentation must be spaces.
    func refuseTabIndentation(before k: Int) throws(YAMLError) {
        var s = k
        while s > 0 && isSpace(b[s - 1]) {
            s -= 1
            if b[s] == 0x09 { throw error("tab character used for indentation; YAML indents with spaces only", at: lineStartOf(k)) }
        }
    }

    // MARK: - Document

    mutating func document() throws(YAMLError) -> YAMLNode {
        var col = try skipToContent()
        if col == 0 && peek() == UInt8(ascii: "%") { throw error("directives (%YAML, %TAG) are not supported") }
        var node: YAMLNode?
        if col == 0 && isDocumentMarker("---") {
            let markerEnd = i + 3
            i += 3
            skipInlineSpace()
            if !atLineEnd() {
                flowMinIndent = 0
                node = try inlineNode(parentIndent: -1, column: column(i), allowBlock: false)
            } else {
                i = markerEnd
                try finishLine()
            }
            if node == nil { col = try skipToContent() }
        }
        if node == nil {
            if let c = col, !(c == 0 && (isDocumentMarker("---") || isDocumentMarker("..."))) {
                node = try blockNode(indent: c, parentIndent: -1)
            } else {
                node = YAMLNode(kind: .scalar(""), style: .plain, position: position(i), startOffset: i, endOffset: i)
            }
        }
        if let c = try skipToContent() {
            if c == 0 && isDocumentMarker("---") { throw error("several documents in one file are not supported") }
            if c == 0 && isDocumentMarker("...") {
                i += 3
                try finishLine()
                if try skipToContent() != nil { throw error("content after the document end marker '...' is not supported") }
            } else {
                throw error(c > 0 ? "unexpected indentation" : "unexpected content after the document; check indentation")
            }
        }
        return node!
    }

    func isDocumentMarker(_ m: String) -> Bool {
        let u = Array(m.utf8)
        guard i + 3 <= b.count, Array(b[i..<i + 3]) == u else { return false }
        return isBlankOrEnd(3)
    }

    // MARK: - Block structure

    /// A node that starts at the first content character of a line, at `indent`.
    mutating func blockNode(indent: Int, parentIndent: Int, inMapping: Bool = false) throws(YAMLError) -> YAMLNode {
        try inlineNode(parentIndent: parentIndent, column: indent, allowBlock: true, inMapping: inMapping)
    }

    /// The value after `key:`, `- ` or `---`.
    mutating func valueAfterIndicator(parentIndent: Int, inMapping: Bool, compactAllowed: Bool) throws(YAMLError) -> YAMLNode {
        let indicatorEnd = i
        skipInlineSpace()
        if !atLineEnd() {
            return try inlineNode(parentIndent: parentIndent, column: column(i), allowBlock: compactAllowed)
        }
        return try nodeOnNextLines(parentIndent: parentIndent, inMapping: inMapping, emptyAt: indicatorEnd)
    }

    /// The node that follows a line ending after `key:`, `- ` or an anchor:
    /// on the next lines, indented deeper than `parentIndent` (or a block
    /// sequence at a mapping's own indentation), else an empty (null) node.
    mutating func nodeOnNextLines(parentIndent: Int, inMapping: Bool, emptyAt: Int) throws(YAMLError) -> YAMLNode {
        try finishLine()
        let save = i
        if let c = try skipToContent() {
            if c > parentIndent { return try blockNode(indent: c, parentIndent: parentIndent, inMapping: inMapping) }
            if c == parentIndent && inMapping && peek() == UInt8(ascii: "-") && isBlankOrEnd(1) {
                try refuseTabIndentation(before: i)
                return try blockSequence(indent: c)
            }
        }
        i = save
        return YAMLNode(kind: .scalar(""), style: .plain, position: position(emptyAt), startOffset: emptyAt, endOffset: emptyAt)
    }

    /// A node starting at `i` (in `column`), possibly mid-line.
    mutating func inlineNode(parentIndent: Int, column col: Int, allowBlock: Bool, inMapping: Bool = false) throws(YAMLError) -> YAMLNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= YAMLParser.maxDepth else { throw error("collections nested more than \(YAMLParser.maxDepth) deep") }
        let c = peek()
        switch c {
        case UInt8(ascii: "&"):
            return try anchoredNode(parentIndent: parentIndent, column: col, allowBlock: allowBlock, inMapping: inMapping)
        case UInt8(ascii: "*"):
            if looksLikeKey() { break }
            let node = try alias()
            try finishLine("content after the alias")
            return node
        case UInt8(ascii: "!"): throw error("tags (!tag) are not supported; quote the value if it is text")
        case UInt8(ascii: "?") where isBlankOrEnd(1): throw error("complex mapping keys ('? ') are not supported")
        case UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "%"):
            throw error("'\(Character(Unicode.Scalar(c)))' cannot start a plain scalar; quote the value")
        case UInt8(ascii: "-") where isBlankOrEnd(1):
            guard allowBlock else { throw error("a block sequence cannot start on the same line as its key; start it on the next line") }
            try refuseTabIndentation(before: i)
            return try blockSequence(indent: col)
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            return try blockScalar(parentIndent: parentIndent)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let start = i
            flowMinIndent = parentIndent + 1
            let node = try flowNode(depth: depth)
            skipInlineSpace()
            if peek() == UInt8(ascii: ":") && isBlankOrEnd(1) {
                throw error("complex mapping keys (a flow collection as a key) are not supported", at: start)
            }
            try finishLine()
            return node
        default:
            break
        }
        if looksLikeKey() {
            guard allowBlock else { throw error("a mapping cannot start on the same line as its key; put it on the next line, indented") }
            try refuseTabIndentation(before: i)
            return try blockMapping(indent: col)
        }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            let node = try quotedScalar(minIndent: parentIndent + 1)
            try finishLine()
            return node
        }
        return try plainScalarBlock(parentIndent: parentIndent)
    }

    /// A node with an anchor (`&name`) in front of it. An anchor before a
    /// key on the same line belongs to that key; one alone on its line
    /// belongs to the node on the next lines.
    mutating func anchoredNode(parentIndent: Int, column col: Int, allowBlock: Bool, inMapping: Bool) throws(YAMLError) -> YAMLNode {
        let (name, at) = try anchorProperty()
        skipInlineSpace()
        let node: YAMLNode
        if atLineEnd() {
            try refuseSecondAnchor()
            node = try nodeOnNextLines(parentIndent: parentIndent, inMapping: inMapping, emptyAt: i)
        } else if peek() == UInt8(ascii: "&") {
            throw error("a node can have only one anchor")
        } else if peek() == UInt8(ascii: "*") && !looksLikeKey() {
            throw error("an alias cannot have an anchor; anchor the node it names")
        } else if peek() != UInt8(ascii: "[") && peek() != UInt8(ascii: "{") && looksLikeKey() {
            guard allowBlock else { throw error("a mapping cannot start on the same line as its key; put it on the next line, indented") }
            pendingKeyAnchor = (name, at)
            return try blockMapping(indent: col)
        } else {
            node = try inlineNode(parentIndent: parentIndent, column: column(i), allowBlock: false)
        }
        register(anchor: name, at: at, node: node)
        return node
    }

    /// An anchor alone on its line belongs to the node on the next lines,
    /// which may not have one of its own (unless that is a key's: `&k key: v`).
    mutating func refuseSecondAnchor() throws(YAMLError) {
        let save = i
        defer { i = save }
        try finishLine()
        guard try skipToContent() != nil, peek() == UInt8(ascii: "&") else { return }
        let second = i
        _ = try anchorProperty()
        skipInlineSpace()
        if !looksLikeKey() { throw error("a node can have only one anchor", at: second) }
    }

    /// Whether the current line, from `i`, is `key:` followed by a space or line end.
    mutating func looksLikeKey() -> Bool {
        let save = i
        defer { i = save }
        if peek() == UInt8(ascii: "&"), (try? anchorProperty()) != nil { skipInlineSpace() }
        if peek() == UInt8(ascii: "*") {
            guard (try? propertyName("*")) != nil else { return false }
            skipInlineSpace()
            return peek() == UInt8(ascii: ":") && isBlankOrEnd(1)
        }
        if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "'") {
            guard (try? quotedScalar(minIndent: 0)) != nil else { return false }
            skipInlineSpace()
            return peek() == UInt8(ascii: ":") && isBlankOrEnd(1)
        }
        while !atEnd && !isBreak(b[i]) {
            if b[i] == UInt8(ascii: ":") && isBlankOrEnd(1) { return true }
            if b[i] == UInt8(ascii: "#") && i > save && isSpace(b[i - 1]) { return false }
            i += 1
        }
        return false
    }

    mutating func blockMapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = i
        var pairs: [YAMLNode.Pair] = []
        var seen: [String: Int] = [:]
        while true {
            let keyStart = i
            let key = try mappingKey()
            guard let name = key.scalar else {
                throw error("complex mapping keys (an alias of a collection as a key) are not supported", at: keyStart)
            }
            if let first = seen[name] {
                throw error("duplicate key '\(name)' (first at line \(first))", at: keyStart)
            }
            seen[name] = position(keyStart).line
            i += 1  // ':'
            let value = try valueAfterIndicator(parentIndent: indent, inMapping: true, compactAllowed: false)
            pairs.append(YAMLNode.Pair(key: key, value: value))
            let save = i
            guard let c = try skipToContent() else { break }
            if c < indent { i = save; break }
            if c > indent { throw misindented(c, indent, "this mapping's keys", inner: pairs.last?.value) }
            if peek() == UInt8(ascii: "-") && isBlankOrEnd(1) {
                throw error("expected a mapping key ('key: value') at this indentation, found a sequence entry")
            }
            if isDocumentMarker("---") || isDocumentMarker("...") { i = save; break }
            try refuseTabIndentation(before: i)
        }
        return YAMLNode(kind: .mapping(try merged(pairs)), style: .block, position: position(start), startOffset: start, endOffset: i)
    }

    /// A line indented deeper than its collection's entries, and (when the entry
    /// before it is a block collection) shallower than that collection's.
    func misindented(_ c: Int, _ indent: Int, _ what: String, inner: YAMLNode?) -> YAMLError {
        if let inner, inner.style == .block, inner.pairs != nil || inner.items != nil, inner.position.column - 1 > c {
            let kind = inner.pairs != nil ? "keys of the mapping" : "entries of the sequence"
            return error("unexpected indentation: column \(c + 1) is between \(what) (column \(indent + 1)) and the \(kind) above (column \(inner.position.column))")
        }
        return error("unexpected indentation (\(what) are at column \(indent + 1))")
    }

    mutating func mappingKey() throws(YAMLError) -> YAMLNode {
        var keyAnchor = pendingKeyAnchor
        pendingKeyAnchor = nil
        if peek() == UInt8(ascii: "&") {
            if keyAnchor != nil { throw error("a node can have only one anchor") }
            keyAnchor = try anchorProperty()
            skipInlineSpace()
        }
        let c = peek()
        switch c {
        case UInt8(ascii: "*"):
            if keyAnchor != nil { throw error("an alias cannot have an anchor; anchor the node it names") }
            let key = try alias()
            skipInlineSpace()
            guard peek() == UInt8(ascii: ":") && isBlankOrEnd(1) else { throw error("expected ':' after the alias used as a key") }
            if let (name, at) = keyAnchor { register(anchor: name, at: at, node: key) }
            return key
        case UInt8(ascii: "!"): throw error("tags (!tag) are not supported")
        case UInt8(ascii: "?") where isBlankOrEnd(1): throw error("complex mapping keys ('? ') are not supported")
        case UInt8(ascii: "["), UInt8(ascii: "{"): throw error("complex mapping keys (a flow collection as a key) are not supported")
        default: break
        }
        let key: YAMLNode
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            key = try quotedScalar(minIndent: 0)
            if b[key.startOffset..<key.endOffset].contains(where: isBreak) {
                throw error("a quoted mapping key must be on one line", at: key.startOffset)
            }
            skipInlineSpace()
        } else {
            let start = i
            while !atEnd && !isBreak(b[i]) && !(b[i] == UInt8(ascii: ":") && isBlankOrEnd(1)) {
                if b[i] == UInt8(ascii: "#") && i > start && isSpace(b[i - 1]) { break }
                i += 1
            }
            var end = i
            while end > start && isSpace(b[end - 1]) { end -= 1 }
            if end == start && peek() == UInt8(ascii: ":") {
                throw error("a mapping key is missing before ':' (an empty key is null); quote it as \"\" if you mean an empty text")
            }
            key = YAMLNode(kind: .scalar(String(decoding: b[start..<end], as: UTF8.self)), style: .plain,
                           position: position(start), startOffset: start, endOffset: end)
        }
        guard peek() == UInt8(ascii: ":") && isBlankOrEnd(1) else {
            throw error("expected a mapping key ('key: value'); found text without ':'", at: key.startOffset)
        }
        if let (name, at) = keyAnchor { register(anchor: name, at: at, node: key) }
        return key
    }

    mutating func blockSequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = i
        var items: [YAMLNode] = []
        while true {
            i += 1  // '-'
            items.append(try valueAfterIndicator(parentIndent: indent, inMapping: false, compactAllowed: true))
            let save = i
            guard let c = try skipToContent() else { break }
            if c < indent { i = save; break }
            if c > indent { throw misindented(c, indent, "this sequence's entries", inner: items.last) }
            guard peek() == UInt8(ascii: "-") && isBlankOrEnd(1), !isDocumentMarker("---") else { i = save; break }
            try refuseTabIndentation(before: i)
        }
        return YAMLNode(kind: .sequence(items), style: .block, position: position(start), startOffset: start, endOffset: i)
    }
}
