/// Flow collections: `[a, b]` and `{k: v}`, which may span lines.
///
/// A flow collection inside a block node continues on lines indented with at
/// least `flowMinIndent` spaces (its block parent's indentation + 1); a
/// document marker at the start of a line ends the document, so it may not
/// stand inside a collection.
extension YAMLParser {
    mutating func skipFlowSpace() throws(YAMLError) {
        while !atEnd {
            let c = b[i]
            if isSpace(c) { i += 1; continue }
            if isBreak(c) {
                i = nextLineStart(i)
                try checkFlowLine()
                continue
            }
            if c == UInt8(ascii: "#") && (i == 0 || isSpace(b[i - 1]) || isBreak(b[i - 1])) {
                while !atEnd && !isBreak(b[i]) { i += 1 }
                continue
            }
            break
        }
    }

    /// At the start of a line inside a flow collection: a line with content
    /// (not blank, not a comment) must be indented enough and not be a document marker.
    func checkFlowLine() throws(YAMLError) {
        var s = i
        while s < b.count && b[s] == 0x20 { s += 1 }
        let spaces = s - i
        while s < b.count && isSpace(b[s]) { s += 1 }
        guard s < b.count, !isBreak(b[s]), b[s] != UInt8(ascii: "#") else { return }
        if spaces == 0 && (startsMarker("---", i) || startsMarker("...", i)) {
            throw error("a document marker inside a flow collection; close the collection before it", at: i)
        }
        // A line that only closes the collection may sit at its key's column (`env: {` … `}`), as
        // JSON-style YAML is commonly written; the YAML test suite has no case that says otherwise.
        let closes = b[s] == UInt8(ascii: "]") || b[s] == UInt8(ascii: "}")
        if spaces < flowMinIndent && !closes {
            throw error("a flow collection's continuation line must be indented with at least \(flowMinIndent) space\(flowMinIndent == 1 ? "" : "s")", at: i)
        }
    }

    mutating func flowNode(depth: Int) throws(YAMLError) -> YAMLNode {
        guard depth <= YAMLParser.maxDepth else { throw error("collections nested more than \(YAMLParser.maxDepth) deep") }
        try skipFlowSpace()
        guard !atEnd else { throw error("unexpected end of input inside a flow collection") }
        let c = b[i]
        switch c {
        case UInt8(ascii: "["): return try flowCollection(depth: depth, mapping: false)
        case UInt8(ascii: "{"): return try flowCollection(depth: depth, mapping: true)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return try quotedScalar(minIndent: flowMinIndent)
        case UInt8(ascii: "&"):
            let (name, at) = try anchorProperty()
            try skipFlowSpace()
            let node: YAMLNode
            if atEnd || [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(b[i])
                || (b[i] == UInt8(ascii: ":") && isFlowValueIndicator(1)) {
                node = YAMLNode(kind: .scalar(""), style: .plain, position: position(i), startOffset: i, endOffset: i)
            } else if b[i] == UInt8(ascii: "*") || b[i] == UInt8(ascii: "&") {
                throw error(b[i] == UInt8(ascii: "*") ? "an alias cannot have an anchor; anchor the node it names" : "a node can have only one anchor")
            } else {
                node = try flowNode(depth: depth)
            }
            register(anchor: name, at: at, node: node)
            return node
        case UInt8(ascii: "*"): return try alias()
        case UInt8(ascii: "!"): throw error("tags (!tag) are not supported")
        case UInt8(ascii: "?") where isBlankOrEnd(1): throw error("complex mapping keys ('? ') are not supported")
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","):
            throw error("expected a value, found '\(Character(Unicode.Scalar(c)))'")
        case UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "#"), UInt8(ascii: "%"):
            throw error("'\(Character(Unicode.Scalar(c)))' cannot start a plain scalar; quote the value")
        case UInt8(ascii: "-") where isFlowValueIndicator(1), UInt8(ascii: "?") where isFlowValueIndicator(1),
             UInt8(ascii: ":") where isFlowValueIndicator(1):
            throw error("'\(Character(Unicode.Scalar(c)))' followed by a space or a flow indicator cannot start a plain scalar; quote the value")
        default:
            return try plainScalarFlow()
        }
    }

    /// A blank, a flow indicator or the end at `i + k`: what ends a plain scalar's `:` or starts a value after it.
    func isFlowValueIndicator(_ k: Int) -> Bool {
        isBlankOrEnd(k) || YAMLParser.isFlowIndicator(b[i + k])
    }

    /// A plain scalar in a flow collection; it may continue on following
    /// lines, which are folded (one line break becomes a space, n empty lines n breaks).
    mutating func plainScalarFlow() throws(YAMLError) -> YAMLNode {
        let (start, firstEnd) = scanPlainLine(flow: true)
        if start == firstEnd { throw error("expected a value") }
        var text = String(decoding: b[start..<firstEnd], as: UTF8.self)
        var end = firstEnd
        while true {
            skipInlineSpace()
            guard !atEnd, isBreak(b[i]) else { break }
            var k = nextLineStart(i)
            var empties = 0
            var contentAt: Int?
            while k < b.count {
                var s = k
                while s < b.count && isSpace(b[s]) { s += 1 }
                if s < b.count && !isBreak(b[s]) { contentAt = s; break }
                if s >= b.count { break }
                empties += 1
                k = nextLineStart(s)
            }
            guard let at = contentAt else { break }
            let c = b[at]
            if YAMLParser.isFlowIndicator(c) || c == UInt8(ascii: "#") { break }
            if c == UInt8(ascii: ":") && (at + 1 >= b.count || isSpace(b[at + 1]) || isBreak(b[at + 1]) || YAMLParser.isFlowIndicator(b[at + 1])) { break }
            i = k
            try checkFlowLine()
            i = at
            let (s, e) = scanPlainLine(flow: true)
            text += (empties == 0 ? " " : String(repeating: "\n", count: empties)) + String(decoding: b[s..<e], as: UTF8.self)
            end = e
        }
        i = end
        return YAMLNode(kind: .scalar(text), style: .plain, position: position(start), startOffset: start, endOffset: end)
    }

    mutating func flowCollection(depth: Int, mapping: Bool) throws(YAMLError) -> YAMLNode {
        let start = i
        let close = mapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
        // An alias inside checks its nesting against this depth.
        let outerDepth = self.depth
        self.depth = depth + 1
        defer { self.depth = outerDepth }
        i += 1
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        var seen: [String: Int] = [:]
        while true {
            try skipFlowSpace()
            guard !atEnd else { throw error("unterminated flow \(mapping ? "mapping '{'" : "sequence '['")", at: start) }
            if b[i] == close { i += 1; break }
            let entry = try flowNode(depth: depth + 1)
            let quotedKey = entry.style == .singleQuoted || entry.style == .doubleQuoted
            let entryEnd = i
            try skipFlowSpace()
            var value: YAMLNode?
            if peek() == UInt8(ascii: ":") && (quotedKey || entry.position.anchor != nil || isFlowValueIndicator(1)) {
                if !mapping && b[entry.startOffset..<i].contains(where: isBreak) {
                    throw error("an implicit key in a flow sequence must be on one line with its ':'", at: entry.startOffset)
                }
                i += 1
                try skipFlowSpace()
                if peek() == UInt8(ascii: ",") || peek() == close {
                    value = YAMLNode(kind: .scalar(""), style: .plain, position: position(i), startOffset: i, endOffset: i)
                } else {
                    value = try flowNode(depth: depth + 1)
                }
                try skipFlowSpace()
            }
            if mapping || value != nil {
                guard let key = entry.scalar else {
                    throw error("complex mapping keys (a collection as a key) are not supported", at: entry.startOffset)
                }
                if entry.style == .plain && key.isEmpty && entry.position.anchor == nil {
                    throw error("a mapping key is missing before ':' (an empty key is null); quote it as \"\" if you mean an empty text", at: entry.startOffset)
                }
                let v = value ?? YAMLNode(kind: .scalar(""), style: .plain, position: entry.position, startOffset: entryEnd, endOffset: entryEnd)
                if mapping {
                    if let first = seen[key] { throw error("duplicate key '\(key)' (first at line \(first))", at: entry.startOffset) }
                    seen[key] = position(entry.startOffset).line
                    pairs.append(YAMLNode.Pair(key: entry, value: v))
                } else {
                    items.append(YAMLNode(kind: .mapping(try merged([YAMLNode.Pair(key: entry, value: v)])), style: .flow,
                                          position: entry.position, startOffset: entry.startOffset, endOffset: v.endOffset))
                }
            } else {
                items.append(entry)
            }
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            if peek() == close { continue }
            if atEnd { throw error("unterminated flow \(mapping ? "mapping '{'" : "sequence '['")", at: start) }
            throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' in flow \(mapping ? "mapping" : "sequence")")
        }
        return YAMLNode(kind: mapping ? .mapping(try merged(pairs)) : .sequence(items), style: .flow,
                        position: position(start), startOffset: start, endOffset: i)
    }
}
