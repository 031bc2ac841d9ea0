import Foundation
import StepProcess
import StepProtocol
import StepYAML
#if canImport(Glibc)
import Glibc
#endif

/// A processor's registry YAML (`name:` or `ref:`, `image.oci`, `runtime`,
/// `secrets`), read with source offsets so that one value can be rewritten
/// while every other byte of the file stays as it was.
public struct RegistryFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    public let root: YAMLNode

    /// Reads and parses `path`.
    public init(path: String) throws(RegistryFileError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(file: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "permission denied or not a file") }
        try self.init(path: path, bytes: [UInt8](data))
    }

    public init(path: String, bytes: [UInt8]) throws(RegistryFileError) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalid(file: path, reason: "not UTF-8 text") }
        do { root = try YAMLParser.parse(text, file: path) } catch { throw .invalid(file: path, reason: "\(error)") }
        guard root.pairs != nil else { throw .invalid(file: path, reason: "expected a mapping at the top (name:, image:, …)") }
        self.path = path
        self.bytes = bytes
    }

    /// The registry file of `processor` in the folder `registry`.
    public static func path(of processor: ProcessorRef, in registry: String) -> String {
        (registry as NSString).appendingPathComponent(processor.fileName)
    }

    /// Reads the registry file of `processor` and checks that its `name:` or `ref:` names it.
    public static func load(_ processor: ProcessorRef, in registry: String) throws(RegistryFileError) -> RegistryFile {
        let file = try RegistryFile(path: path(of: processor, in: registry))
        try file.check(processor)
        return file
    }

    /// The `ref:` (newer files) or `name:` value, and its line.
    public var declaredRef: (value: String, line: Int)? {
        for key in ["ref", "name"] { if let n = root[key], let s = n.scalar { return (s, n.position.line) } }
        return nil
    }

    public func check(_ processor: ProcessorRef) throws(RegistryFileError) {
        guard let declared = declaredRef else { throw .invalid(file: path, reason: "no name: or ref: naming the processor") }
        guard declared.value == processor.description else {
            throw .wrongProcessor(file: path, line: declared.line, expected: processor.description, found: declared.value)
        }
    }

    /// The `image.oci` node.
    public var imageNode: YAMLNode? { root["image"]?["oci"] }
    /// The `image.oci` value.
    public var image: String? { imageNode?.scalar }

    /// `secrets.required` (a list, or a single name).
    public var requiredSecrets: [String] {
        guard let n = root["secrets"]?["required"] else { return [] }
        if let items = n.items { return items.compactMap(\.scalar) }
        return n.scalar.map { [$0] } ?? []
    }

    /// The `runtime` mapping as JSON values.
    public var runtime: [String: JSONValue] { root["runtime"]?.json.objectValue ?? [:] }

    /// `image.oci`: where a single pin goes by default.
    public static let defaultKey = "image.oci"

    /// The scalar node at a dotted path (`image.platforms.amd64`), or nil.
    public func node(at key: String) -> YAMLNode? {
        var n: YAMLNode? = root
        for part in key.split(separator: ".", omittingEmptySubsequences: false) { n = n?[String(part)] }
        return n
    }

    /// The value at a dotted path.
    public func value(at key: String) -> String? { node(at: key)?.scalar }

    /// The file's bytes with the value at each dotted path set to its ref; every other byte unchanged,
    /// a quoted value quoted the same way. A path the file does not hold is an error: keys are never added.
    public func replacing(_ pins: [String: ImageReference]) throws(RegistryFileError) -> [UInt8] {
        var edits: [(range: Range<Int>, text: String)] = []
        for (key, ref) in pins.sorted(by: { $0.key < $1.key }) {
            guard let node = node(at: key), node.scalar != nil, node.pairs == nil, node.items == nil else {
                throw key == RegistryFile.defaultKey ? .noImage(file: path) : .noKey(file: path, key: key)
            }
            let text: String
            switch node.style {
            case .plain: text = ref.description
            case .singleQuoted: text = "'\(ref.description)'"
            case .doubleQuoted: text = "\"\(ref.description)\""
            default: throw .unsupportedStyle(file: path, line: node.position.line)
            }
            edits.append((node.startOffset..<node.endOffset, text))
        }
        var out = bytes
        // From the end, so that earlier offsets stay right.
        for e in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) { out.replaceSubrange(e.range, with: Array(e.text.utf8)) }
        return out
    }

    /// Replaces the file at `path` with `bytes` atomically: a temporary file in the
    /// same folder (same mode), fsynced, renamed over the file, then the folder fsynced.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(RegistryFileError) {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array("\(dir.isEmpty ? "." : dir)/.\(name).stephost-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .writeFailed(file: path, reason: String(cString: strerror(errno))) }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        var st = stat()
        let mode: mode_t = stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
        let failed = FileDescriptor.writeAll(fd, bytes)
        guard failed == 0 else { close(fd); throw .writeFailed(file: path, reason: String(cString: strerror(failed))) }
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { let e = errno; close(fd); throw .writeFailed(file: path, reason: String(cString: strerror(e))) }
        close(fd)
        guard rename(tmp, path) == 0 else { throw .writeFailed(file: path, reason: String(cString: strerror(errno))) }
        ok = true
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
