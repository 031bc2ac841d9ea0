import Foundation
import StepFuzz

/// libFuzzer's entry point (`swift build -c release --sanitize fuzzer`); the
/// target comes from STEPHOST_FUZZ_TARGET. See scripts/fuzz.sh.
private let fuzzTarget = ProcessInfo.processInfo.environment["STEPHOST_FUZZ_TARGET"] ?? "yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func stephostFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(fuzzTarget, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
