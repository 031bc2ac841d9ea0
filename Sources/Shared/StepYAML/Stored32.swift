/// An `Int` kept in 32 bits (clamped): a document has a position and offsets for every node (a manifest
/// of ten thousand steps has over a hundred thousand nodes), and the parser reads at most 16 MiB.
@propertyWrapper
public struct Stored32: Sendable, Hashable {
    private var value: Int32
    public init(wrappedValue: Int) { value = Int32(clamping: wrappedValue) }
    public var wrappedValue: Int {
        get { Int(value) }
        set { value = Int32(clamping: newValue) }
    }
}
