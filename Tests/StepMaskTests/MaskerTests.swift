import Foundation
import StepMask
import StepProtocol
import Testing

@Suite("Masker", .timeLimit(.minutes(3)))
struct MaskerTests {
    static func masker(_ values: String...) -> Masker {
        let m = Masker()
        for v in values { m.add(v) }
        return m
    }

    @Test("the exact value, anywhere in a line, as often as it occurs")
    func exact() {
        let m = Self.masker("hunter2-secret")
        #expect(m.mask("pw=hunter2-secret and again hunter2-secret.") == "pw=*** and again ***.")
        #expect(m.mask("nothing here") == "nothing here")
    }

    @Test("values of 3 characters or fewer are refused and never masked")
    func short() {
        let m = Masker()
        #expect(m.add("abc") == false)
        #expect(m.add("abcd") == true)
        #expect(m.mask("abc abcd") == "abc ***")
    }

    @Test("a multi-line value is masked whole, and line by line where its lines appear apart")
    func multiLine() {
        let m = Self.masker("-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----\n")
        let out = m.mask("key:\n-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----\ndone, MIIEpAIBAAKCAQEA alone")
        #expect(out == "key:\n***done, *** alone")
        // A short line of a multi-line value is hidden with the whole.
        let n = Self.masker("ab\ncdefgh")
        #expect(n.mask("x ab\ncdefgh y") == "x *** y")
        #expect(n.mask("ab alone") == "ab alone")
    }

    @Test("a stream holds back across a newline only what could start a multi-line value")
    func streamMultiLine() {
        let m = Self.masker("first-line\nsecond-line")
        var s = MaskStream(m)
        var out = s.feed(Array("plain line\nfirst-line\n".utf8))
        #expect(String(decoding: out, as: UTF8.self) == "plain line\n", "the start of the value waits")
        out += s.feed(Array("second-line and on\nnext\n".utf8))
        #expect(String(decoding: out, as: UTF8.self) == "plain line\n*** and on\nnext\n")
        out += s.feed(Array("first-line\nother\n".utf8))
        #expect(String(decoding: out + s.finish(), as: UTF8.self) == "plain line\n*** and on\nnext\n***\nother\n")
    }

    @Test("JSON-escaped, including \\u escapes of non-ASCII")
    func json() {
        let m = Self.masker("pa\"ss\\wörd")
        #expect(m.mask(#"{"p":"pa\"ss\\wörd"}"#) == #"{"p":"***"}"#)
        #expect(m.mask(#"{"p":"pa\"ss\\w\u00f6rd"}"#) == #"{"p":"***"}"#)
    }

    @Test("URL-encoded: strict, unreserved and form encodings")
    func url() {
        let m = Self.masker("p@ss w/rd~x")
        // A URL's user and password go whole (URL credentials are masked whatever they are).
        #expect(m.mask("https://u:p%40ss%20w%2Frd%7Ex@host/") == "https://***@host/")
        #expect(m.mask("https://u:p%40ss%20w%2Frd~x@host/") == "https://***@host/")
        #expect(m.mask("see https://host/?q=p%40ss%20w%2Frd%7Ex") == "see https://host/?q=***")
        #expect(m.mask("password=p%40ss+w%2Frd~x&x=1") == "password=***&x=1")
    }

    @Test("base64 in all three alignments, so base64(user:password) is caught", arguments: ["u:", "us:", "use:", "user:"])
    func base64(prefix: String) {
        let secret = "correct-horse-battery"
        let m = Self.masker(secret)
        for suffix in ["", "@", "@x", "@xy"] {
            let encoded = Data((prefix + secret + suffix).utf8).base64EncodedString()
            let out = m.mask("Authorization: Basic \(encoded)")
            #expect(out.contains("***"), "\(prefix)…\(suffix) → \(out)")
            // What is left is at most the prefix's and suffix's own characters plus one mixed character each side.
            let left = out.replacingOccurrences(of: "Authorization: Basic ", with: "").replacingOccurrences(of: "***", with: "")
            #expect(left.count <= (prefix.count + 2) / 3 * 4 + (suffix.count + 2) / 3 * 4 + 4, "\(out)")
            // base64url as well
            let url = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(m.mask(url).contains("***"))
        }
    }

    @Test("the base64 core of a value matches what base64 of any surrounding text contains")
    func base64Cores() {
        let secret = Array("s3cr3t-value".utf8)
        let cores = MaskForms.base64Cores(secret)
        for k in 0..<3 {
            for after in 0..<3 {
                let text = Data([UInt8](repeating: 65, count: k) + secret + [UInt8](repeating: 66, count: after)).base64EncodedString()
                #expect(cores.contains { text.contains($0) }, "prefix \(k), suffix \(after): \(text)")
            }
        }
    }

    @Test("overlapping values are masked as one run")
    func overlapping() {
        let m = Self.masker("abcdef", "defghi")
        #expect(m.mask("xxabcdefghixx") == "xx***xx")
    }

    @Test("strings inside JSON, object keys included")
    func jsonValue() {
        let m = Self.masker("tok-12345")
        let v: JSONValue = .object(["tok-12345": .array([.string("a tok-12345"), .int(3)])])
        #expect(m.mask(v) == .object(["***": .array([.string("a ***"), .int(3)])]))
    }

    @Test("a value split across chunks of a stream is masked; only what could begin a value is held back")
    func stream() {
        let m = Self.masker("SECRET-VALUE-123")
        var s = MaskStream(m)
        var out = s.feed(Array("line one\nthe value is SECR".utf8))
        #expect(String(decoding: out, as: UTF8.self) == "line one\nthe value is ")
        out += s.feed(Array("ET-VAL".utf8))
        out += s.feed(Array("UE-123 done\n".utf8))
        #expect(String(decoding: out, as: UTF8.self) == "line one\nthe value is *** done\n")
        out += s.feed(Array("tail SECRET".utf8))
        out += s.finish()
        #expect(String(decoding: out, as: UTF8.self) == "line one\nthe value is *** done\ntail SECRET")
    }

    @Test("a value registered while a stream is open applies to what arrives after")
    func lateValue() {
        let m = Masker()
        var s = MaskStream(m)
        var out = s.feed(Array("before token-abcdef\n".utf8))
        m.add("token-abcdef")
        out += s.feed(Array("after token-abcdef\n".utf8))
        #expect(String(decoding: out, as: UTF8.self) == "before token-abcdef\nafter ***\n")
    }
}

@Suite("Masker: URL credentials and the cost of many values")
struct MaskerURLTests {
    @Test("user:password@ in any URL shows as ***@, known secret or not; a URL without a password is left alone")
    func urlCredentials() {
        let m = Masker()
        #expect(m.mask("fetch https://bot:hunter2@example.com/x.git failed") == "fetch https://***@example.com/x.git failed")
        #expect(m.mask("ssh://git@example.com/x.git and https://example.com/a:b") == "ssh://git@example.com/x.git and https://example.com/a:b")
        #expect(m.mask("a: http://u:p@h, b: redis://:pw@h") == "a: http://***@h, b: redis://***@h")
    }

    @Test("3,000 values added one by one, a line masked after each: every one masked (built lazily, merged as a binary counter)")
    func manyValues() {
        let m = Masker()
        for k in 0..<3_000 {
            m.add("value-\(k)-abcdefgh")
            #expect(m.mask("x value-\(k)-abcdefgh y") == "x *** y")
        }
        #expect(m.count == 3_000)
        #expect(m.mask("value-0-abcdefgh value-1500-abcdefgh value-2999-abcdefgh value-3000-abcdefgh")
                == "*** *** *** value-3000-abcdefgh")
    }
}

@Suite("MaskStream: values added while bytes are held back")
struct MaskStreamLateTests {
    @Test("a value added before finish applies to what is held back, and nothing held back is lost")
    func addedBeforeFinish() {
        let m = Masker()
        m.add("held-back-secret")
        var s = MaskStream(m)
        var out = s.feed(Array("text before held-back-sec".utf8))
        m.add("another-value-9")
        out += s.finish()
        #expect(String(decoding: out, as: UTF8.self) == "text before held-back-sec", "\(String(decoding: out, as: UTF8.self))")
        var t = MaskStream(m)
        var both = t.feed(Array("a another-value-9 b held-back-".utf8))
        m.add("held-back-xyz1")
        both += t.feed(Array("xyz1 c".utf8)) + t.finish()
        #expect(String(decoding: both, as: UTF8.self) == "a *** b *** c")
    }
}
