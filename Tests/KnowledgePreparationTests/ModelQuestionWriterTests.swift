import Testing
import Tokenizers
@testable import KnowledgePreparation

/// The model-written path without a model: prompt, parsing of replies, the support filter.
struct ModelQuestionWriterTests {
    static let paragraph = "The Corvane KX-40 weighs 6.4 kilograms. It has 14 programs and a warranty of three years."

    @Test func onlyLargeChatModelsWrite() {
        #expect(!ModelQuestionWriter.canWrite(parameterCount: 134_515_008, hasChatTemplate: true))
        #expect(ModelQuestionWriter.canWrite(parameterCount: 6_738_415_616, hasChatTemplate: true))
        #expect(!ModelQuestionWriter.canWrite(parameterCount: 6_738_415_616, hasChatTemplate: false))
    }

    @Test func promptCarriesTheParagraphAndTheFormat() {
        let chat = ModelQuestionWriter(modelID: "m").prompt(paragraph: Self.paragraph, title: "Corvane KX-40")
        #expect(chat.map(\.role) == ["system", "user"])
        #expect(chat[1].content.contains(Self.paragraph) && chat[1].content.contains("about Corvane KX-40"))
        #expect(chat[1].content.contains("Q: <question>\nA: <answer>"))
    }

    @Test func parsesPairsAndSkipsChatter() {
        let reply = """
        Sure! Here are some questions:
        1. Q: How heavy is the Corvane KX-40?
           A: The Corvane KX-40 weighs 6.4 kilograms.

        **Question:** How many programs does it have?
        **Answer:** It has 14 programs.
        Q: A question without an answer?
        Q: How long is the warranty?
        A: The warranty lasts three years.
        """
        let pairs = ModelQuestionWriter.parse(reply)
        #expect(pairs.map(\.question) == ["How heavy is the Corvane KX-40?", "How many programs does it have?", "How long is the warranty?"])
        #expect(pairs.map(\.answer) == ["The Corvane KX-40 weighs 6.4 kilograms.", "It has 14 programs.", "The warranty lasts three years."])
    }

    @Test func keepsOnlyAnswersTheParagraphSupports() {
        #expect(ModelQuestionWriter.isSupported(answer: "The Corvane KX-40 weighs 6.4 kilograms.", by: Self.paragraph))
        // A number the paragraph does not have, or words it does not use, is invented.
        #expect(!ModelQuestionWriter.isSupported(answer: "The Corvane KX-40 weighs 7.2 kilograms.", by: Self.paragraph))
        #expect(!ModelQuestionWriter.isSupported(answer: "It bakes sourdough with rye flour overnight.", by: Self.paragraph))
        #expect(!ModelQuestionWriter.isSupported(answer: "Yes.", by: Self.paragraph))
    }

    @Test func recordsTheGeneratorOfEachKeptPair() {
        let writer = ModelQuestionWriter(modelID: "llama-2-7b-chat")
        let made = writer.questions(paragraph: Self.paragraph, title: nil) { chat in
            #expect(chat[1].content.contains(Self.paragraph))
            return "Q: How heavy is the Corvane KX-40?\nA: It weighs 6.4 kilograms.\nQ: Who designed it?\nA: Ada Lovelace designed it."
        }
        #expect(made == [SynthesizedQuestion(question: "How heavy is the Corvane KX-40?", answer: "It weighs 6.4 kilograms.", rule: "model:llama-2-7b-chat")])
    }
}
