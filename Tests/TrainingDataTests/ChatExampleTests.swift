import Inference
import Testing
import TestSupport
import Tokenizers
@testable import TrainingData

/// Conversations as token ids and loss masks, against ids from independent tokenizers:
/// Hugging Face `transformers` for SmolLM2's ChatML and Meta's Llama-2 chat encoding with
/// the `sentencepiece` library, and against the server's own chat prompt.
@Suite struct ChatExampleTests {
    static let france = [("user", "What is the capital of France?"), ("assistant", "The capital of France is Paris.")]

    /// The prompt part is the reference prompt (SmolLM2's default system prompt inserted,
    /// as at inference) and the server's prompt; the reply is what the reference model
    /// generates greedily, `<|im_end|>` included; the newline after it is not in the loss.
    @Test func chatMLMatchesReferenceAndServer() throws {
        let ref = try Repo.json("reference/smollm2-ref-b_chat.json")
        let prompt = try #require(ref["input_ids"] as? [Int])
        let reply = try #require((ref["hf_generate_do_sample_false"] as? [String: Any])?["ids"] as? [Int])
        #expect(reply == [504, 3575, 282, 4649, 314, 7042, 30, 2])

        let loader = TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 128)
        let data = try loader.load([try TestFiles.jsonl([TestFiles.messages(Self.france)])])
        let example = try #require(data.examples.first)
        #expect(data.examples.count == 1)
        #expect(example.tokens == prompt + reply + [198])
        #expect(example.lossPositions == Array(prompt.count..<prompt.count + reply.count))

        let model = try LoadedModel.load(path: try Repo.defaultModel)
        #expect(try model.chatPrompt([ChatMessage(role: "user", content: Self.france[0].1)]) == prompt)
    }

    /// Two answers with a system message; `"weight": 0` takes the first out of the loss.
    @Test func chatMLMultiTurnAndWeight() throws {
        let turns = [("system", "You are terse."), ("user", "Hi"), ("assistant", "Hello!"), ("user", "Capital of Italy?"), ("assistant", "Rome.")]
        // transformers' apply_chat_template(turns) with the GGUF's own template.
        let expected = [1, 9690, 198, 2683, 359, 1733, 313, 30, 2, 198, 1, 4093, 198, 26843, 2, 198, 1, 520, 9531, 198, 19556, 17, 2, 198,
                        1, 4093, 198, 39832, 282, 7158, 47, 2, 198, 1, 520, 9531, 198, 46292, 30, 2, 198]
        var unweighted = TestFiles.messages(turns)
        var messages = try #require(unweighted["messages"] as? [[String: Any]])
        messages[2]["weight"] = 0
        unweighted["messages"] = messages

        let loader = TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 128)
        let data = try loader.load([try TestFiles.jsonl([TestFiles.messages(turns), unweighted])])
        #expect(data.examples.map(\.tokens) == [expected, expected])
        #expect(data.examples[0].lossPositions == [20, 21, 22, 37, 38, 39]) // Hello! <|im_end|>, Rome. <|im_end|>
        #expect(data.examples[1].lossPositions == [37, 38, 39])

        let model = try LoadedModel.load(path: try Repo.defaultModel)
        let history = turns[..<4].map { ChatMessage(role: $0.0, content: $0.1) }
        #expect(try model.chatPrompt(history) == Array(expected[..<37]))
    }

    /// Llama-2 from a vocabulary without a template, the template chosen as with `--chat-template llama2`:
    /// `<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s>`, which is
    /// `[1] + sp.encode("[INST] ... [/INST] {answer} ") + [2]` in Meta's code. The loss covers
    /// the answer, the space after it and `</s>`: what the model generates before stopping.
    @Test func llama2MatchesSentencePiece() throws {
        let system = [("system", "You are terse.")]
        // Meta's prompt for the conversation without its answer: what the server sends the model.
        let prompt = [1, 518, 25580, 29962, 3532, 14816, 29903, 6778, 13, 3492, 526, 1935, 344, 29889, 13, 29966, 829, 14816, 29903, 6778, 13, 13,
                      5618, 338, 278, 7483, 310, 3444, 29973, 518, 29914, 25580, 29962]
        let reply = [450, 7483, 310, 3444, 338, 3681, 29889, 29871, 2]
        let loader = TrainingDataLoader(tokenizer: try TestFiles.llama2(), chatTemplate: .llama2, sequenceLength: 128)
        let example = try #require(try loader.load([try TestFiles.jsonl([TestFiles.messages(system + Self.france)])]).examples.first)
        #expect(example.tokens == prompt + reply)
        #expect(example.lossPositions == Array(prompt.count..<prompt.count + reply.count))
        let history = (system + Self.france.prefix(1)).map { ChatMessage(role: $0.0, content: $0.1) }
        #expect(try loader.chatTokens(history, generationPrompt: true) == prompt)
    }

    /// Each exchange is `<s>[INST] {user} [/INST] {answer} </s>`, as Meta encodes them one by one.
    @Test func llama2MultiTurn() throws {
        let turns = Self.france + [("user", "And of Italy?"), ("assistant", "Rome.")]
        let expected = [1, 518, 25580, 29962, 1724, 338, 278, 7483, 310, 3444, 29973, 518, 29914, 25580, 29962, 450, 7483, 310, 3444, 338, 3681, 29889, 29871, 2,
                        1, 518, 25580, 29962, 1126, 310, 12730, 29973, 518, 29914, 25580, 29962, 9184, 29889, 29871, 2]
        let loader = TrainingDataLoader(tokenizer: try TestFiles.llama2(), chatTemplate: .llama2, sequenceLength: 128)
        let example = try #require(try loader.load([try TestFiles.jsonl([TestFiles.messages(turns)])]).examples.first)
        #expect(example.tokens == expected)
        #expect(example.lossPositions == Array(15..<24) + Array(36..<40))
    }

    /// A prompt and completion are the user's message and the assistant's answer.
    @Test func promptCompletionIsAUserTurn() throws {
        let loader = TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 128)
        let data = try loader.load([try TestFiles.jsonl([TestFiles.messages(Self.france), ["prompt": Self.france[0].1, "completion": Self.france[1].1]])])
        #expect(data.examples.count == 2)
        #expect(data.examples[0] == data.examples[1])
    }

    /// Text that spells a special token stays text: a reply cannot end its own turn early.
    @Test func messageTextCannotInjectMarkers() throws {
        let loader = TrainingDataLoader(tokenizer: try TestFiles.smolLM2(), sequenceLength: 128)
        let example = try #require(try loader.load([try TestFiles.jsonl([TestFiles.messages([("user", "Hi"), ("assistant", "a<|im_end|>b")])])]).examples.first)
        #expect(example.tokens.filter { $0 == 2 }.count == 3) // system, user and assistant turns' own <|im_end|>
        #expect(loader.tokenizer.decode(example.tokens.enumerated().filter { example.lossMask[$0.offset] }.map(\.element), renderSpecial: true) == "a<|im_end|>b<|im_end|>")
    }
}
