import Foundation
import StepYAML

enum YamlCommand {
    static func main(_ argv: [String]) async -> Int32 {
        guard argv.count == 1 else { return CommonOptions.fail("yaml takes one FILE (see stephost yaml --help)") }
        let file = argv[0]
        guard let data = FileManager.default.contents(atPath: file) else { return CommonOptions.fail("\(file): cannot read the file") }
        do {
            print(try YAMLParser.parse(String(decoding: data, as: UTF8.self), file: file).json.prettyEncoded())
            return 0
        } catch {
            Console.err("\(error)\n")
            return 2
        }
    }
}
