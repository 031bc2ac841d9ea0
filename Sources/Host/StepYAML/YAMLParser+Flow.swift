/// Flow collections: `[a, b]` and `{k: v}`, which may span lines.
extension YAMLParser {
    mutating func skipFlowSpace() {
        while !atEnd {
            let c = b[i]
            if isSpace(c) || isBreak(c) { i += 1; continue }
            if c == UInt8(ascii: "#") && (i == 0 || isSpace(b[i - 1]) || isBreak(b[i - 1])) {
                while !atEnd && !isBreak(b[i]) { i += 1 }
                continue
            }
            break
        }
    }

    mutating func flowNode(depth: Int) throws(YAMLError) -> YAMLNode {
        guard depth <= YAMLParser.maxDepth else { throw error("collections nested more than \(YAMLParser.maxDepth) deep") }
        skipFlowSpace()
        guard !atEnd else { throw error("unexpected end of input inside a flow collection") }
        let c = b[i]
        switch c {
        case UInt8(ascii: "["): return try flowCollection(depth: depth, mapping: false)
        case UInt8(ascii: "{"): return try flowCollection(depth: depth, mapping: true)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return try quotedScalar(flow: true)
        case UInt8(ascii: "&"): throw error("anchors (&name) are not supported; repeat the value instead")
        case UInt8(ascii: "*"): throw error("aliases (*name) are not supported; repeat the value instead")
        case UInt8(ascii: "!"): throw error("tags (!tag) are not supported")
        case UInt8(ascii: "?") where isBlankOrEnd(1): throw error("complex mapping keys ('? ') are not supported")
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","):
            throw error("expected a value, found '\(Character(Unicode.Scalar(c)))'")
        case UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw error("'\(Character(Unicode.Scalar(c)))' cannot start a plain scalar; quote the value")
        default:
            let (s, e) = scanPlainLine(flow: true)
            if s == e { throw error("expected a value") }
            return YAMLNode(kind: .scalar(String(decoding: b[s..<e], as: UTF8.self)), style: .plain,
                            position: position(s), startOffset: s, endOffset: e)
        }
    }

    mutating func flowCollection(depth: Int, mapping: Bool) throws(YAMLError) -> YAMLNode {
        let start = i
        let close = mapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
        i += 1
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        var seen: [String: Int] = [:]
        while true {
            skipFlowSpace()
            guard !atEnd else { throw error("unterminated flow \(mapping ? "mapping '{'" : "sequence '['")", at: start) }
            if b[i] == close { i += 1; break }
            let entry = try flowNode(depth: depth + 1)
            let quotedKey = entry.style == .singleQuoted || entry.style == .doubleQuoted
            skipFlowSpace()
            var value: YAMLNode?
            if peek() == UInt8(ascii: ":") && (quotedKey || isBlankOrEnd(1) || [UInt8(ascii: ","), close].contains(peek(1))) {
                i += 1
                skipFlowSpace()
                if peek() == UInt8(ascii: ",") || peek() == close {
                    value = YAMLNode(kind: .scalar(""), style: .plain, position: position(i), startOffset: i, endOffset: i)
                } else {
                    value = try flowNode(depth: depth + 1)
                }
                skipFlowSpace()
            }
            if mapping || value != nil {
                guard let key = entry.scalar else {
                    throw error("complex mapping keys (a collection as a key) are not supported", at: entry.startOffset)
                }
                let v = value ?? YAMLNode(kind: .scalar(""), style: .plain, position: entry.position, startOffset: entry.endOffset, endOffset: entry.endOffset)
                if mapping {
                    if let first = seen[key] { throw error("duplicate key '\(key)' (first at line \(first))", at: entry.startOffset) }
                    seen[key] = entry.position.line
                    pairs.append(YAMLNode.Pair(key: entry, value: v))
                } else {
                    items.append(YAMLNode(kind: .mapping([YAMLNode.Pair(key: entry, value: v)]), style: .flow,
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
        return YAMLNode(kind: mapping ? .mapping(pairs) : .sequence(items), style: .flow,
                        position: position(start), startOffset: start, endOffset: i)
    }
}
