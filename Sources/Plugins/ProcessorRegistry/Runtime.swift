import StepProtocol

/// A processor's runtime limits, from its registry file's `runtime:` mapping, as the
/// environment variables the Modal module reads: `TIMEOUT_S`, `CPU`, `MEMORY_MIB`, `GPU`.
///
/// Memory is `memory_mib`, `memory_gb` (as in theory-api's older files) or `memory`
/// with a unit (`2Gi`, `512Mi`, `2G`, `512M`); `gpu` is passed as written (`none` means no GPU to the module).
public struct Runtime: Sendable, Equatable {
    public var timeoutSeconds: Int?
    public var cpu: String?
    public var memoryMiB: Int?
    public var gpu: String?

    public init(_ file: RegistryFile) throws(RegistryFileError) {
        let r = file.runtime
        let line = file.root["runtime"]?.position.line ?? 1
        func number(_ key: String) throws(RegistryFileError) -> Double? {
            guard let v = r[key], v != .null else { return nil }
            if let d = v.doubleValue { return d }
            if let s = v.stringValue, let d = Double(s) { return d }
            throw .invalid(file: "\(file.path):\(file.root["runtime"]?[key]?.position.line ?? line)", reason: "runtime.\(key) must be a number, not \(v.encoded())")
        }
        timeoutSeconds = try number("timeout_s").map { Int($0) }
        cpu = try number("cpu").map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
        if let mib = try number("memory_mib") {
            memoryMiB = Int(mib)
        } else if let gb = try number("memory_gb") {
            memoryMiB = Int(gb * 1024)
        } else if let m = r["memory"], m != .null {
            let text = m.stringValue ?? m.encoded()
            guard let mib = Runtime.mebibytes(text) else {
                throw .invalid(file: "\(file.path):\(file.root["runtime"]?["memory"]?.position.line ?? line)", reason: "runtime.memory '\(text)' is not a size like 2Gi or 512Mi")
            }
            memoryMiB = mib
        }
        if let g = r["gpu"]?.stringValue, !g.isEmpty { gpu = g }
    }

    /// `2Gi` → 2048, `512Mi` → 512, `2G` → 1907, a bare number is MiB.
    static func mebibytes(_ text: String) -> Int? {
        let units: [(String, Double)] = [("Gi", 1024), ("Mi", 1), ("G", 1e9 / 1_048_576), ("M", 1e6 / 1_048_576)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let n = Double(text.dropLast(suffix.count)), n > 0 else { return nil }
            return Int((n * factor).rounded())
        }
        return Double(text).map { Int($0) }
    }

    /// The variables for the Modal module; a limit the file does not give is left out.
    public var environment: [String: String] {
        var env: [String: String] = [:]
        if let timeoutSeconds { env["TIMEOUT_S"] = String(timeoutSeconds) }
        if let cpu { env["CPU"] = cpu }
        if let memoryMiB { env["MEMORY_MIB"] = String(memoryMiB) }
        if let gpu { env["GPU"] = gpu }
        return env
    }
}
