import StepProtocol

/// An error a handler may throw as it is: PluginServer answers with its `stepFailure`
/// (a -32000 with message, hint and retryable), so a plugin's error enum needs no wrapper.
public protocol StepFailureConvertible: Error {
    var stepFailure: ResponseError { get }
}
