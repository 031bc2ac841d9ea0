import Foundation
import StepProtocol

/// `sha256:<hex>` digests of content, computed with StepProtocol's SHA-256.
public enum Digest {
    public static func of(_ data: Data) -> String {
        var h = SHA256()
        data.withUnsafeBytes { raw in
            let all = raw.bindMemory(to: UInt8.self)
            var off = 0
            while off < all.count {
                let end = min(off + (1 << 20), all.count)
                h.update(UnsafeBufferPointer(rebasing: all[off..<end]))
                off = end
            }
        }
        return "sha256:" + h.finalizeHex()
    }
}
