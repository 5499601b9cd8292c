import Foundation
import Testing
import TestSupport
@testable import KnowledgePreparation
import ModelFormats
import Tokenizers
import TrainingData

/// Prepared files are training data the existing loader reads: passages from their own first
/// token, conversations with the loss on the answer.
struct PreparedDataTests {
    static let tokenizer = Result { try Tokenizer.load(gguf: GGUFFile(path: Repo.defaultModel)) }

    @Test func preparedExamplesLoadAsPassagesAndConversations() throws {
        let text = try String(contentsOfFile: Repo.root + "/Tests/Fixtures/knowledge/place-ashgrove.md", encoding: .utf8)
        let examples = try KnowledgePreparer().prepare(document: text, path: "place-ashgrove.md")
        let file = temporaryDirectory() + "/prepared.jsonl"
        try Data(PreparedExample.jsonl(examples)).write(to: URL(fileURLWithPath: file))
        #expect(try PreparedExample.parse(jsonl: PreparedExample.jsonl(examples), path: file) == examples)

        let tokenizer = try Self.tokenizer.get()
        let set = try TrainingDataLoader(tokenizer: tokenizer, sequenceLength: 256).load([file])
        #expect(set.examples.count == examples.count)
        // Each fact view starts at its sentence: the first tokens are the sentence's own.
        for (example, prepared) in zip(set.examples, examples) where prepared.kind == .factView {
            let expected = tokenizer.encode(prepared.passage!, addBOS: tokenizer.addBOSDefault) + [tokenizer.eosID!]
            #expect(example.tokens == expected && example.lossMask == expected.indices.map { $0 > 0 })
        }
        let questions = examples.filter { $0.kind == .question }
        #expect(questions.count >= 16 && questions.allSatisfy { $0.generator == "rules" && $0.messages?.count == 2 })
        #expect(examples.contains { $0.kind == .overview && $0.messages?[0].content == "Tell me about Ashgrove Observatory." })
    }

    /// Grounding indexes each sentence by the questions training asks of it: the same ones, in
    /// the same order, one list per sentence.
    @Test func ruleQuestionsAreThePreparedQuestionsBySentence() throws {
        let text = try String(contentsOfFile: Repo.root + "/Tests/Fixtures/knowledge/manual-corvane.md", encoding: .utf8)
        let document = DocumentText(parsing: text)
        let bySentence = KnowledgePreparer.ruleQuestions(document)
        #expect(bySentence.count == document.sentences.count)
        let prepared = try KnowledgePreparer().prepare(document: text, path: "c.md").filter { $0.kind == .question || $0.kind == .groundedQuestion }
        #expect(prepared.map { $0.messages![0].content.components(separatedBy: "\n\nQuestion: ").last! } == bySentence.joined().map { $0.messages![0].content })
        #expect(prepared.map { $0.messages![1] } == bySentence.joined().map { $0.messages![1] })
        // "It weighs 6.4 kilograms and draws 650 watts from the mains." is asked about in other words.
        let i = try #require(document.sentences.firstIndex { $0.hasPrefix("It weighs 6.4 kilograms") })
        #expect(bySentence[i].contains { $0.messages![0].content.lowercased().contains("heavy") || $0.messages![0].content.lowercased().contains("weigh") })
    }

    /// Two questions in three are asked as the server grounds them: beside their own sentence, or
    /// beside the other sentence that ranks first for them.
    @Test func questionsAreAlsoAskedBesideTheirSentences() throws {
        let text = "# Kestrel Inn\n\nThe inn has 12 rooms. Breakfast costs 9 euros.\n\nThe owner is Maud Fenwick. Dinner costs 21 euros."
        let document = DocumentText(parsing: text)
        let bySentence = KnowledgePreparer.ruleQuestions(document)
        let examples = try KnowledgePreparer().prepare(document: text, path: "inn.md").filter { $0.kind == .question || $0.kind == .groundedQuestion }
        let shown = KnowledgePreparer.groundedViews
        #expect(examples.count == bySentence.joined().count && examples.count > shown.count)
        var turn = 0
        for (i, own) in bySentence.enumerated() {
            for q in own {
                let example = examples[turn], question = q.messages![0].content
                let documentPart = example.messages![0].content.components(separatedBy: "\n\nQuestion: ")
                switch shown[turn % shown.count] {
                case .plain: #expect(example == q)
                case .own: #expect(documentPart == ["Document: " + document.sentences[i], question])
                case .next:
                    #expect(documentPart.count == 2 && documentPart[1] == question && documentPart[0] != "Document: " + document.sentences[i]
                            && document.sentences.contains(String(documentPart[0].dropFirst("Document: ".count))))
                }
                #expect(example.kind == (shown[turn % shown.count] == .plain ? .question : .groundedQuestion) && example.messages![1] == q.messages![1])
                turn += 1
            }
        }
        // What would not fit a training sequence is asked plain.
        let short = try KnowledgePreparer(fits: { question, _ in !question.hasPrefix("Document: Breakfast") }).prepare(document: text, path: "inn.md")
        #expect(short.filter { $0.kind == .question || $0.kind == .groundedQuestion }.map(\.messages) == examples.map(\.messages).enumerated().map { turn, m in
            m![0].content.hasPrefix("Document: Breakfast") ? bySentence.joined().map(\.messages)[turn] : m })
    }

    @Test func everyFactViewStartsAtASentence() throws {
        let text = "# Kestrel Inn\n\nThe inn has 12 rooms. Breakfast costs 9 euros.\n\nThe owner is Maud Fenwick. It opened in 1990."
        let examples = try KnowledgePreparer().prepare(document: text, path: "inn.md")
        #expect(examples.filter { $0.kind == .factView }.map(\.passage) == [
            "The inn has 12 rooms. Breakfast costs 9 euros.", "Breakfast costs 9 euros.",
            "The owner is Maud Fenwick. It opened in 1990.", "It opened in 1990.",
        ])
        let orders = examples.filter { $0.kind == .paragraphView }.compactMap(\.passage)
        #expect(orders.count == 2 && orders.allSatisfy { $0.hasPrefix("Kestrel Inn\n\n") })
    }

    @Test func aDocumentWithoutSentencesIsAnError() {
        #expect(throws: KnowledgePreparationError.nothingToLearn(path: "h.md")) {
            try KnowledgePreparer().prepare(document: "# Only a heading\n\n---\n", path: "h.md")
        }
    }

    @Test func aBrokenPreparedLineNamesItsLine() {
        #expect(throws: KnowledgePreparationError.self) {
            try PreparedExample.parse(jsonl: Array("{\"kind\":\"question\"}\n{\"kind\":\"nope\"}\n".utf8), path: "p.jsonl")
        }
    }
}
