/// What is wrong with a duration's text.
public struct DurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A duration written as `1h`, `90s`, `1m30s` or `500ms`.
public struct StepDuration: Sendable, Hashable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) { self.milliseconds = milliseconds }

    public static func seconds(_ s: Int) -> StepDuration { StepDuration(milliseconds: s * 1000) }

    /// The longest duration stephost accepts: 8760h.
    public static let maximum = StepDuration(milliseconds: 8760 * 3_600_000)

    /// Parses `<n>h`, `<n>m`, `<n>s`, `<n>ms`, one or more in that order.
    public init(parsing text: String) throws(DurationError) {
        let units: [(String, Int)] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { throw DurationError("empty duration") }
        var total = 0
        var nextUnit = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let n = Int(digits) else {
                throw DurationError("invalid duration '\(text)' (write e.g. 90s, 1m30s, 500ms)")
            }
            rest = rest.dropFirst(digits.count)
            let unit: String
            if rest.hasPrefix("ms") { unit = "ms" } else if let f = rest.first, "hms".contains(f) { unit = String(f) } else {
                if rest.isEmpty { throw DurationError("duration '\(text)' needs a unit (h, m, s or ms)") }
                throw DurationError("invalid duration '\(text)' (write e.g. 90s, 1m30s, 500ms)")
            }
            guard let idx = units.firstIndex(where: { $0.0 == unit }), idx >= nextUnit else {
                throw DurationError("invalid duration '\(text)': units go h, m, s, ms in that order")
            }
            let (part, overflow1) = n.multipliedReportingOverflow(by: units[idx].1)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow1 && !overflow2 && sum <= StepDuration.maximum.milliseconds else {
                throw DurationError("duration '\(text)' is longer than \(StepDuration.maximum) (a year)")
            }
            total = sum
            nextUnit = idx + 1
            rest = rest.dropFirst(unit.count)
        }
        milliseconds = total
    }

    public var seconds: Double { Double(milliseconds) / 1000 }

    public var description: String {
        var ms = milliseconds
        var out = ""
        for (u, f) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms >= f {
            out += "\(ms / f)\(u)"
            ms %= f
        }
        if ms > 0 || out.isEmpty { out += "\(ms)ms" }
        return out
    }
}
