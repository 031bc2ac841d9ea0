import Foundation
import StepFuzz
import Testing

/// Replays every saved fuzz input (seeds and inputs that once crashed) through
/// the fuzz targets' checks; a regression crashes or fails here.
@Suite("fuzz inputs replayed", .timeLimit(.minutes(3)))
struct FuzzRegressionTests {
    static let inputs = "\(TestSupport.repoRoot)/Tests/FuzzInputs"

    @Test("every saved input passes its target's checks", arguments: FuzzTargets.names)
    func replay(target: String) throws {
        let dir = "\(Self.inputs)/\(target)"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(!files.isEmpty, "no inputs in \(dir)")
        for f in files {
            let data = try #require(FileManager.default.contents(atPath: "\(dir)/\(f)"))
            FuzzTargets.run(target, Array(data))
        }
    }
}
