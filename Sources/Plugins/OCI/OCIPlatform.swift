import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A platform as builds name it: `linux/amd64`, `linux/arm64/v8`.
public struct OCIPlatform: Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(_ text: String) throws(OCIError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") } }) else {
            throw .badPlatform(text)
        }
        os = parts[0]; architecture = parts[1]; variant = parts.count == 3 ? parts[2] : nil
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }

    /// The key of `digests` and `refs`: the architecture, with the variant when one is given (`arm64/v8`).
    public var key: String { architecture + (variant.map { "/\($0)" } ?? "") }

    /// As an index entry's `platform`.
    public var json: [String: String] {
        var o = ["os": os, "architecture": architecture]
        if let variant { o["variant"] = variant }
        return o
    }

    /// This machine's architecture as OCI names it (`uname -m` x86_64 is amd64, aarch64 is arm64).
    public static var host: String {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return ["x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"][machine] ?? machine
    }

    /// The name of QEMU's binfmt_misc handler for an architecture (`qemu-aarch64` for arm64).
    public static func qemuHandler(_ architecture: String) -> String {
        "qemu-" + (["amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"][architecture] ?? architecture)
    }
}
