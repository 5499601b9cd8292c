import Testing
@testable import Tokenizers

/// The default model (SmolLM2-135M-Instruct: byte-level BPE, pre-tokenizer "smollm") against
/// the Hugging Face reference ids in `reference/`.
@Suite struct DefaultModelTests {
    @Test func plainPrompt() throws {
        let t = try TestData.defaultModel()
        let ref = try TestData.json("reference/smollm2-ref-a_hello.json")
        let text = try #require(ref["prompt_text"] as? String)
        #expect(text == "Hello, my name is")
        #expect(t.encode(text) == [19556, 28, 957, 1462, 314])
        #expect(t.encode(text) == ref["input_ids"] as? [Int])
    }

    @Test func vocabularyFacts() throws {
        let t = try TestData.defaultModel()
        #expect(t.vocabularySize == 49152)
        #expect(t.bosID == 1 && t.eosID == 2 && t.padID == 2)
        #expect(!t.addBOSDefault && !t.addEOSDefault && !t.addSpacePrefix)
        #expect(t.endOfGenerationIDs == [0, 2]) // <|endoftext|>, <|im_end|>
        #expect(t.tokenPiece(1) == "<|im_start|>")
        #expect(t.tokenPiece(49152) == nil && t.tokenPiece(-1) == nil)
        #expect(ChatTemplate.detect(jinja: t.chatTemplateSource) == .chatml)
    }

    /// The chat prompt, rendered from the messages with the template's own default system
    /// prompt, must encode to the reference ids exactly.
    @Test func chatPrompt() throws {
        let t = try TestData.defaultModel()
        let ref = try TestData.json("reference/smollm2-ref-b_chat.json")
        let expected = try #require(ref["input_ids"] as? [Int])
        let messages = try #require(ref["messages"] as? [[String: String]]).map { ChatMessage(role: $0["role"]!, content: $0["content"]!) }
        #expect(messages == [ChatMessage(role: "user", content: "What is the capital of France?")])

        let template = try #require(ChatTemplate.detect(jinja: t.chatTemplateSource))
        let system = template.defaultSystemPrompt(jinja: t.chatTemplateSource)
        #expect(system == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let segments = try template.render(messages: messages, addGenerationPrompt: true, defaultSystem: system)
        #expect(segments.map(\.text).joined() == ref["prompt_text"] as? String)
        let ids = try t.encode(segments: segments)
        #expect(ids == expected, "got \(describe(ids, t))")
        #expect(t.decode(ids, renderSpecial: true) == ref["prompt_text"] as? String)
    }

    /// The training batch holds ids only: decoding each row and encoding the text again
    /// must give the same ids (the rows were made by the reference tokenizer).
    @Test func trainingBatchRoundTrip() throws {
        let t = try TestData.defaultModel()
        let batch = try TestData.json("reference/train-qv-step0/batch0.json")
        let rows = try #require(batch["input_ids"] as? [[Int]])
        #expect(rows.count == 4)
        for (i, row) in rows.enumerated() {
            let text = t.decode(row)
            let again = t.encode(text)
            #expect(again == row, "row \(i): first difference at \((zip(again, row).enumerated().first { $1.0 != $1.1 }?.offset ?? min(again.count, row.count)))")
        }
    }
}
