import Foundation
import StepProtocol

/// GitHub Actions' workflow commands, escaped as the runner requires.
public enum WorkflowCommands {
    /// A command's data: `%`, `\r`, `\n` escaped.
    public static func data(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value: as data, and `:` and `,` too.
    static func property(_ s: String) -> String {
        data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// `::level title=…,file=…,line=…::message`.
    static func annotation(_ a: Annotation) -> String {
        var props: [String] = []
        if let t = a.title { props.append("title=\(property(t))") }
        if let f = a.file { props.append("file=\(property(f))") }
        if let l = a.line { props.append("line=\(l)") }
        return "::\(a.level)\(props.isEmpty ? "" : " " + props.joined(separator: ","))::\(data(a.message))"
    }

    /// A fresh token for `::stop-commands::`, unguessable by a plugin.
    public static func token() -> String {
        (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max)) }.joined()
    }
}
