import Foundation
import StepProtocol
import Testing

/// What the end-to-end suites share: the fake plugin as `--plugin`, and reading a run's summary.
protocol EndToEndSuite {}

extension EndToEndSuite {
    var fake: String { "fake=\(TestSupport.fake)" }

    func summary(_ r: TestSupport.Result) throws -> JSONValue { try r.summary() }
    func steps(_ s: JSONValue) -> [String: JSONValue] { s.stepsByID }
    func status(_ s: JSONValue, _ id: String) -> String { steps(s)[id]?["status"]?.stringValue ?? "missing" }
    func reason(_ s: JSONValue, _ id: String) -> String? { steps(s)[id]?["reason"]?.stringValue }
}
