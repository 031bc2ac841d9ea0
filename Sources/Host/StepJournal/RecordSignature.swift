import Foundation
import StepProtocol

/// `record.hmac`: with `STEPHOST_RECORD_SECRET` set, every run signs its record (HMAC-SHA256 over
/// `summary.json` and over `journal.jsonl`, each on its own so a check can name the file that differs),
/// and `--resume`, `runs merge` and `runs show` refuse a record whose signature is missing or wrong:
/// a record edited by hand, or downloaded from somewhere that is not to be trusted, is never believed.
public enum RecordSignature {
    public static let file = "record.hmac"
    public static let files = ["summary.json", "journal.jsonl"]
    public static let variable = "STEPHOST_RECORD_SECRET"

    /// Writes `record.hmac` for the record in `directory`; false when it could not.
    @discardableResult
    public static func sign(_ directory: String, secret: String) -> Bool {
        var o: [String: JSONValue] = ["algorithm": "HMAC-SHA256"]
        var macs: [String: JSONValue] = [:]
        for f in files {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(f)") else { continue }
            macs[f] = .string(SHA256.lowercaseHex(SHA256.hmac(key: Array(secret.utf8), message: Array(data))))
        }
        o["files"] = .object(macs)
        return FileManager.default.createFile(atPath: "\(directory)/\(file)", contents: Data((JSONValue.object(o).prettyEncoded() + "\n").utf8))
    }

    /// Nil when the record's files are as signed; else what is wrong, naming the file.
    public static func problem(_ directory: String, secret: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)") else {
            return "\(directory)/\(file) is missing: \(variable) is set, and an unsigned record is not trusted"
        }
        guard let json = try? JSONParser.parse(Array(data)), let macs = json["files"]?.objectValue else {
            return "\(directory)/\(file) cannot be read"
        }
        for f in files {
            let path = "\(directory)/\(f)"
            guard let content = FileManager.default.contents(atPath: path) else {
                if macs[f] != nil { return "\(path) is missing, but the record was signed with it" }
                continue
            }
            guard let expected = macs[f]?.stringValue else { return "\(path) is not covered by \(file)" }
            let actual = SHA256.lowercaseHex(SHA256.hmac(key: Array(secret.utf8), message: Array(content)))
            if actual != expected { return "\(path) differs from what the run wrote (its HMAC does not match \(file))" }
        }
        return nil
    }
}
