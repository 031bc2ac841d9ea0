/// Anchors (`&name`), aliases (`*name`) and merge keys (`<<`).
///
/// An alias is expanded when it is read: the anchored node is copied, each
/// copied node carrying the alias's position and where it was written (see
/// `SourcePosition.anchor`). Expansion is bounded: at most `maxAliasNodes`
/// nodes may be created by aliases in one document, counting nested
/// expansions, and an expansion may not nest deeper than `maxDepth`; so a
/// "billion laughs" document is refused after a few aliases, never expanded.
extension YAMLParser {
    /// A node that an anchor named, with its size, for the limits.
    struct Anchor {
        var node: YAMLNode
        var position: SourcePosition
        var count: Int
        var height: Int
    }

    static let maxAliasNodes = 10_000

    /// Reads `&name` or `*name` at `i`; `i` ends after the name.
    mutating func propertyName(_ sigil: String) throws(YAMLError) -> String {
        let start = i
        i += 1
        while !atEnd, !isSpace(b[i]), !isBreak(b[i]), !YAMLParser.isFlowIndicator(b[i]) { i += 1 }
        guard i > start + 1 else { throw error("'\(sigil)' must be followed by a name", at: start) }
        return String(decoding: b[(start + 1)..<i], as: UTF8.self)
    }

    /// Reads `&name` and the space after it; returns the name and where it stands.
    mutating func anchorProperty() throws(YAMLError) -> (String, Int) {
        let start = i
        let name = try propertyName("&")
        guard isBlankOrEnd(0) else { throw error("an anchor's name must be followed by a space", at: i) }
        return (name, start)
    }

    mutating func register(anchor name: String, at offset: Int, node: YAMLNode) {
        let (count, height) = YAMLParser.measure(node)
        anchors[name] = Anchor(node: node, position: position(offset), count: count, height: height)
    }

    /// Reads `*name` and returns a copy of the anchored node, stamped with the alias's position.
    mutating func alias() throws(YAMLError) -> YAMLNode {
        let start = i
        let name = try propertyName("*")
        guard let anchor = anchors[name] else {
            throw error("alias '*\(name)' names no anchor; define '&\(name)' before it is used", at: start)
        }
        let whereAnchor = "anchor '&\(name)' at \(anchor.position.line):\(anchor.position.column)"
        guard aliasNodes + anchor.count <= YAMLParser.maxAliasNodes else {
            throw error("aliases create more than \(YAMLParser.maxAliasNodes) nodes in this document ('*\(name)' adds \(anchor.count); \(whereAnchor)); share smaller blocks", at: start)
        }
        guard depth + anchor.height <= YAMLParser.maxDepth else {
            throw error("alias '*\(name)' nests collections more than \(YAMLParser.maxDepth) deep (\(whereAnchor))", at: start)
        }
        aliasNodes += anchor.count
        let at = position(start)
        return YAMLParser.copy(anchor.node, name: name, line: at.line, column: at.column)
    }

    static func measure(_ node: YAMLNode) -> (count: Int, height: Int) {
        switch node.kind {
        case .scalar: return (1, 0)
        case .sequence(let items):
            var count = 1, height = 0
            for item in items { let m = measure(item); count += m.count; height = max(height, m.height) }
            return (count, height + 1)
        case .mapping(let pairs):
            var count = 1, height = 0
            for p in pairs {
                let k = measure(p.key), v = measure(p.value)
                count += k.count + v.count
                height = max(height, k.height, v.height)
            }
            return (count, height + 1)
        }
    }

    static func copy(_ node: YAMLNode, name: String, line: Int, column: Int) -> YAMLNode {
        var copy = node
        copy.position = SourcePosition(line: line, column: column,
                                       anchor: AnchorOrigin(name: name, line: node.position.line, column: node.position.column))
        switch node.kind {
        case .scalar: break
        case .sequence(let items): copy.kind = .sequence(items.map { self.copy($0, name: name, line: line, column: column) })
        case .mapping(let pairs):
            copy.kind = .mapping(pairs.map {
                YAMLNode.Pair(key: self.copy($0.key, name: name, line: line, column: column),
                              value: self.copy($0.value, name: name, line: line, column: column))
            })
        }
        return copy
    }

    /// Applies merge keys: a plain `<<` whose value is a mapping or a list of
    /// mappings brings in their pairs where it stands. Keys written in the
    /// mapping win, then earlier merged mappings over later ones.
    func merged(_ pairs: [YAMLNode.Pair]) throws(YAMLError) -> [YAMLNode.Pair] {
        guard pairs.contains(where: \.isMerge) else { return pairs }
        var taken = Set(pairs.filter { !$0.isMerge }.compactMap(\.key.scalar))
        var out: [YAMLNode.Pair] = []
        for pair in pairs {
            guard pair.isMerge else { out.append(pair); continue }
            let sources: [YAMLNode]
            switch pair.value.kind {
            case .mapping: sources = [pair.value]
            case .sequence(let items) where items.allSatisfy({ $0.pairs != nil }): sources = items
            default:
                throw YAMLError(file: file, position: pair.value.position,
                                message: "a merge key '<<' takes a mapping, an alias of one, or a list of them")
            }
            for source in sources {
                for p in source.pairs ?? [] where p.key.scalar.map({ taken.insert($0).inserted }) ?? false {
                    out.append(p)
                }
            }
        }
        return out
    }

    static func isFlowIndicator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")
    }
}

extension YAMLNode.Pair {
    /// A plain `<<` key: a merge.
    var isMerge: Bool { key.style == .plain && key.scalar == "<<" }
}
