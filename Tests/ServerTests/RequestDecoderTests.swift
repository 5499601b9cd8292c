import Foundation
@testable import Server
import Testing
import TestSupport

/// The request decoder in process: the strict JSON reader's verdicts, and a seeded fuzz in which
/// every input either decodes and validates or is refused with a 4xx, never a crash.
@Suite struct RequestDecoderTests {
    static let chat = #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi é"}]}],"max_tokens":4,"temperature":0.7,"top_p":0.9,"n":1,"stop":["\n"],"logit_bias":{"12":-1.5},"seed":7,"stream":true,"stream_options":{"include_usage":true},"response_format":{"type":"text"},"tools":[],"logprobs":true,"top_logprobs":2}"#
    static let completion = #"{"model":"m","prompt":[[1,2,3],[4]],"max_tokens":1e2,"echo":false,"logprobs":3,"best_of":1,"stop":"x","suffix":""}"#

    func error(_ text: String) -> APIError? {
        do {
            _ = try decodeJSON(ChatCompletionRequest.self, from: Array(text.utf8)).validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func validBodiesDecode() throws {
        let chat = try decodeJSON(ChatCompletionRequest.self, from: Array(Self.chat.utf8))
        #expect(try chat.validate().map(\.content) == ["Be brief.", "Hi é"])
        #expect(chat.logit_bias == ["12": -1.5] && chat.stop?.values == ["\n"])
        let completion = try decodeJSON(TextCompletionRequest.self, from: Array(Self.completion.utf8))
        try completion.validate()
        #expect(completion.max_tokens == 100)
        guard case let .tokens(lists) = completion.prompt else { Issue.record("prompt"); return }
        #expect(lists == [[1, 2, 3], [4]])
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[],}"#, nil as String?, "invalid_json"),
        (#"{"model":"m","model":"n","messages":[]}"#, "model", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"\ud800"}]}"#, "messages[0].content", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":4.5}"#, "max_tokens", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1180591620717411303424}"#, "seed", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":1e400}"#, "temperature", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":"x"}"#, "tools", "invalid_type"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"nonsense"}}"#, "response_format.type", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":null}]}"#, "messages[0].content", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, "messages[0].content[0]", "invalid_value"),
        (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content", "invalid_type"),
        (#"{"model":"m","messages":"hi"}"#, "messages", "invalid_type"),
        (#"{"messages":[]}"#, "model", "missing_required_parameter"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":012}"#, nil, "invalid_json"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}]} x"#, nil, "invalid_json"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), nil, "invalid_json"),
    ])
    func badBodiesNameTheirParameter(body: String, param: String?, code: String) {
        let e = error(body)
        #expect(e?.status == .badRequest, "\(body): \(String(describing: e))")
        #expect(e?.param == param, "\(body): \(e?.message ?? "")")
        #expect(e?.code == code, "\(body): \(e?.message ?? "")")
    }

    @Test func invalidUTF8IsNamed() {
        let bytes = Array(#"{"model":"m","messages":[{"role":"user","content":""#.utf8) + [0xFF, 0xFE] + Array(#""}]}"#.utf8)
        do {
            _ = try decodeJSON(ChatCompletionRequest.self, from: bytes)
            Issue.record("invalid UTF-8 decoded")
        } catch {
            #expect(error.param == "messages[0].content" && error.message.contains("UTF-8"), "\(error.message)")
        }
    }

    /// Mutations of valid bodies: bytes flipped, cut, repeated or spliced with JSON fragments.
    @Test func fuzzedBodiesNeverCrashAndOnlyGet4xx() {
        let fragments = ["null", "true", "-0", "1e999", "4.5", "18446744073709551616", "\"\\ud800\"", "\"\\u0000\"", "[]", "{}", "[[[[", "}}", ",", ":",
                         "\"messages\"", "\"content\"", "\"role\"", "\"n\"", "\"model\"", "\"type\"", "\u{FF}", "\"\\\"", "0x1", "NaN", "\"é\""]
        var rng = SplitMix(13)
        let seeds = [Array(Self.chat.utf8), Array(Self.completion.utf8)]
        var decoded = 0, refused = 0
        let count = 200_000
        for i in 0..<count {
            var bytes = seeds[i % 2]
            for _ in 0..<Int(rng.next() % 4) + 1 {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 5 {
                case 0: if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 8) + 1))
                case 2: bytes.insert(contentsOf: Array(fragments[Int(rng.next() % UInt64(fragments.count))].utf8), at: at)
                case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(rng.next() % 16))], at: at)
                default: bytes = Array(bytes[..<at])
                }
            }
            do {
                if i % 2 == 0 {
                    _ = try decodeJSON(ChatCompletionRequest.self, from: bytes).validate()
                } else {
                    try decodeJSON(TextCompletionRequest.self, from: bytes).validate()
                }
                decoded += 1
            } catch {
                refused += 1
                if !(400..<500).contains(error.status.code) || error.message.isEmpty {
                    Issue.record("input \(i): \(error.status) \(error.message) for \(String(decoding: bytes, as: UTF8.self))")
                    return
                }
            }
        }
        print("request decoder fuzz: \(count) inputs (seed 13): \(decoded) valid, \(refused) refused with a 4xx")
        #expect(decoded > 0 && refused > 0)
    }
}
