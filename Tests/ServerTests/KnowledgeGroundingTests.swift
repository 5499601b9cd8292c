import Foundation
import Inference
import ModelFormats
import Retrieval
import Testing
import TestSupport
import Tokenizers
@testable import Server

/// Chat to an adapter version that has a `knowledge.json` reads its best passages first.
@Suite(.serialized) struct KnowledgeGroundingTests {
    static let index = PassageIndex(passages: [
        "The Wrenfield ferry leaves at 7:40 every morning.",
        "Tickets cost 6 pounds for adults.",
        "Bicycles travel free on the upper deck.",
    ].map { .init($0) })

    @Test func passagesGoBeforeTheQuestion() {
        let grounding = KnowledgeGrounding(passages: 2, draftTokens: 0)
        let question = ChatMessage(role: "user", content: "When does the ferry leave?")
        let grounded = ChatMessage(role: "user", content: "Document: \(Self.index.passages[0].text)\n\nQuestion: When does the ferry leave?")
        #expect(grounding.ground([question], in: Self.index) == [grounded])
        // The request's own system message stays as it is.
        let system = ChatMessage(role: "system", content: "Be brief.")
        #expect(grounding.ground([system, question], in: Self.index) == [system, grounded])
        // The last user message is the question; nothing matches the capital of France.
        let answer = ChatMessage(role: "assistant", content: "At 7:40.")
        let turns = [question, answer, ChatMessage(role: "user", content: "How much are tickets for adults?")]
        #expect(grounding.ground(turns, in: Self.index) == [question, answer, ChatMessage(role: "user", content: GroundedPrompt.text(question: "How much are tickets for adults?", passages: [Self.index.passages[1].text]))])
        let general = [ChatMessage(role: "user", content: "What is the capital of France?")]
        #expect(grounding.ground(general, in: Self.index) == general)
        #expect(KnowledgeGrounding(passages: 0, draftTokens: 0).ground([question], in: Self.index) == [question])
        #expect(grounding.ground([question], in: PassageIndex?.none) == [question])
    }

    func promptTokens(_ port: Int, model: String, _ question: String) throws -> Int? {
        let r = try HTTP.request(port: port, "POST", "/v1/chat/completions",
                                 json: ["model": model, "messages": [["role": "user", "content": question]], "max_tokens": 1, "temperature": 0])
        return (r.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int
    }

    /// Through the server: the prompt a grounded question is given has the passages in it, to
    /// the token, ranked by the question alone by default and by the adapter's own draft with
    /// `--grounding-draft-tokens`; `--grounding-passages 0` and questions that match nothing
    /// leave it alone.
    @Test func serverPutsThePassagesInThePrompt() throws {
        let data = temporaryDirectory()
        let folder = data + "/adapters/ferry/1"
        try FileManager.default.createDirectory(atPath: data + "/adapters/ferry", withIntermediateDirectories: true)
        try AdapterServingTests.writeAdapter(seed: 1, to: folder)
        try AtomicFileWriter.write(Array(try JSONEncoder().encode(Self.index)), to: folder + "/" + PassageIndex.fileName)
        let model = try LoadedModel.load(path: try Repo.defaultModel)
        let question = "How much is a ticket for an adult?", messages = [ChatMessage(role: "user", content: question)]
        let defaults = ServerConfiguration(modelPath: "")
        #expect(defaults.groundingDraftTokens == 0)
        let grounded = try model.chatPrompt(KnowledgeGrounding(passages: defaults.groundingPassages, draftTokens: 0).ground(messages, in: Self.index))
        let plain = try model.chatPrompt(messages)
        #expect(grounded.count > plain.count)

        let server = try ServerProcess(["--data-dir", data])
        #expect(try promptTokens(server.port, model: "ferry", question) == grounded.count)
        #expect(try promptTokens(server.port, model: modelID, question) == plain.count)
        #expect(try promptTokens(server.port, model: "ferry", "Name a prime number.") == promptTokens(server.port, model: modelID, "Name a prime number."))
        _ = server.stop()

        // Ungrounded, the adapter's answer is the draft the server ranks by when asked to draft.
        let draftTokens = 48
        let off = try ServerProcess(["--data-dir", data, "--grounding-passages", "0"])
        #expect(try promptTokens(off.port, model: "ferry", question) == plain.count)
        let r = try HTTP.request(port: off.port, "POST", "/v1/chat/completions", json: [
            "model": "ferry", "messages": [["role": "user", "content": question]], "max_tokens": draftTokens, "temperature": 0])
        let draft = try #require(((r.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String)
        _ = off.stop()
        let drafted = try model.chatPrompt(KnowledgeGrounding(passages: defaults.groundingPassages, draftTokens: draftTokens).ground(messages, in: Self.index, draft: draft))
        let drafting = try ServerProcess(["--data-dir", data, "--grounding-draft-tokens", "\(draftTokens)"])
        defer { _ = drafting.stop() }
        #expect(try promptTokens(drafting.port, model: "ferry", question) == drafted.count)
    }

    /// An index with sentence vectors is ranked by the question's vector too, which the server
    /// makes through its scheduler: the question shares only "boat" with the café's sentence and
    /// means the ferry's.
    @Test func serverRanksByTheQuestionsSentenceVector() throws {
        let model = try LoadedModel.load(path: try Repo.defaultModel)
        var index = PassageIndex(passages: [
            "The Wrenfield ferry leaves at 7:40 every morning.",
            "Tickets cost 6 pounds for adults.",
            "Bicycles travel free on the upper deck.",
            "The boat has a small café and a quiet reading room on the lower deck.",
        ].map { .init($0) })
        try index.embed(in: EmbeddingSpace(layer: model.sentenceEmbeddingLayer, dimensions: model.config.hiddenSize), model.sentenceEmbeddings)
        let question = "What time does the boat depart?", messages = [ChatMessage(role: "user", content: question)]
        let grounding = KnowledgeGrounding(passages: 1, draftTokens: 0)
        let byWords = grounding.ground(messages, in: index)
        let byVector = grounding.ground(messages, in: index, questionVector: try model.sentenceEmbeddings([question])[0])
        #expect(byWords[0].content.contains("café") && byVector[0].content.contains("7:40"))

        let data = temporaryDirectory()
        let folder = data + "/adapters/ferry/1"
        try FileManager.default.createDirectory(atPath: data + "/adapters/ferry", withIntermediateDirectories: true)
        try AdapterServingTests.writeAdapter(seed: 1, to: folder)
        try AtomicFileWriter.write(Array(try JSONEncoder().encode(index)), to: folder + "/" + PassageIndex.fileName)
        let server = try ServerProcess(["--data-dir", data, "--grounding-draft-tokens", "0", "--grounding-passages", "1"])
        defer { _ = server.stop() }
        let grounded = try #require(try promptTokens(server.port, model: "ferry", question))
        #expect(try grounded == model.chatPrompt(byVector).count && grounded != model.chatPrompt(byWords).count)
    }

    func answer(_ port: Int, model: String, _ question: String) throws -> String? {
        let r = try HTTP.request(port: port, "POST", "/v1/chat/completions",
                                 json: ["model": model, "messages": [["role": "user", "content": question]], "max_tokens": 12, "temperature": 0])
        return ((r.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }

    /// A question nearer to the index's general prompts than to its passages is answered by the
    /// base model, ungrounded, though it shares "day" with a passage; a question about the
    /// passages still goes to the adapter, and `--no-base-for-general` sends both to it.
    @Test func generalQuestionsAreAnsweredByTheBaseModel() throws {
        let model = try LoadedModel.load(path: try Repo.defaultModel)
        var index = PassageIndex(passages: [
            "The Wrenfield ferry leaves at 7:40 every day.",
            "Tickets cost 6 pounds for adults.",
        ].map { .init($0) })
        try index.embed(in: EmbeddingSpace(layer: model.sentenceEmbeddingLayer, dimensions: model.config.hiddenSize),
                        general: ["How many minutes are in a day?", "What is the capital of Italy?", "What is 4 plus 3?"], model.sentenceEmbeddings)
        let general = "How many hours are in a day?", about = "When does the ferry leave?"
        let vectors = try model.sentenceEmbeddings([general, about])
        #expect(index.asksNothingOfThePassages(general, vector: vectors[0]) && !index.asksNothingOfThePassages(about, vector: vectors[1]))

        let data = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: data + "/adapters/ferry", withIntermediateDirectories: true)
        try AdapterServingTests.writeAdapter(seed: 1, to: data + "/adapters/ferry/1")
        try AtomicFileWriter.write(Array(try JSONEncoder().encode(index)), to: data + "/adapters/ferry/1/" + PassageIndex.fileName)
        let routed = try ServerProcess(["--data-dir", data])
        let base = try answer(routed.port, model: modelID, general)
        #expect(try answer(routed.port, model: "ferry", general) == base)
        #expect(try promptTokens(routed.port, model: "ferry", general) == model.chatPrompt([ChatMessage(role: "user", content: general)]).count)
        let grounded = try answer(routed.port, model: "ferry", about)
        _ = routed.stop()
        let unrouted = try ServerProcess(["--data-dir", data, "--no-base-for-general"])
        defer { _ = unrouted.stop() }
        let adapterAnswer = try answer(unrouted.port, model: "ferry", general)
        #expect(adapterAnswer != nil && adapterAnswer != base)
        #expect(try answer(unrouted.port, model: "ferry", about) == grounded)
    }

    /// A grounded answer the passage does not support is replaced by the passage, whole or
    /// streamed; `--no-answer-check` serves the model's own. The test adapter's answers are
    /// whatever its random weights make of the question, checked here as the server checks them.
    @Test func unsupportedAnswersAreReplacedByTheirPassage() throws {
        let data = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: data + "/adapters/ferry", withIntermediateDirectories: true)
        try AdapterServingTests.writeAdapter(seed: 1, to: data + "/adapters/ferry/1")
        try AtomicFileWriter.write(Array(try JSONEncoder().encode(Self.index)), to: data + "/adapters/ferry/1/" + PassageIndex.fileName)
        let questions = ["When does the ferry leave?", "How much are tickets for adults?", "Where do bicycles travel?"]
        let unchecked = try ServerProcess(["--data-dir", data, "--no-answer-check"])
        let raw = try questions.map { try #require(try answer(unchecked.port, model: "ferry", $0)) }
        _ = unchecked.stop()
        let server = try ServerProcess(["--data-dir", data])
        defer { _ = server.stop() }
        var replaced = 0
        for (question, raw) in zip(questions, raw) {
            let passage = try #require(KnowledgeGrounding(passages: 1, draftTokens: 0).grounded([ChatMessage(role: "user", content: question)], in: Self.index)).passages
            let holds = AnswerSupport.holds(raw, passages: passage, question: question)
            replaced += holds ? 0 : 1
            let served = try answer(server.port, model: "ferry", question)
            #expect(served == (holds ? raw : passage[0].text))
            let r = try HTTP.request(port: server.port, "POST", "/v1/chat/completions", json: [
                "model": "ferry", "messages": [["role": "user", "content": question]], "max_tokens": 12, "temperature": 0, "stream": true])
            let chunks = HTTP.events(r.body).dropLast().map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            #expect(choices.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined() == served)
            #expect(choices.compactMap { $0["finish_reason"] as? String }.count == 1)
        }
        #expect(replaced > 0)
    }
}
