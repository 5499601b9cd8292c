import Foundation
import Inference
import KnowledgePreparation
import Llama
import Tokenizers
import TrainingData

/// Knowledge preparation with one base model: its own greedy answers make the general
/// replay examples and, when it is large enough, its own Q&A pairs.
public struct DocumentPreparation: Sendable {
    public let model: LoadedModel

    public init(model: LoadedModel) { self.model = model }

    /// One document's knowledge examples, with the model's own Q&A pairs when it is big enough to
    /// write them; a grounded question is asked plain where it and its answer, in the chat
    /// template, would not fit `sequenceLength` tokens.
    public func prepare(_ text: String, path: String, settings: PreparationSettings, sequenceLength: Int) throws -> [PreparedExample] {
        var preparer = KnowledgePreparer(fits: { question, answer in
            guard let prompt = try? model.chatPrompt([ChatMessage(role: "user", content: question)]) else { return true }
            // + 2: room for the tokens that close the assistant's turn.
            return prompt.count + model.tokenizer.encode(answer, addBOS: false).count + 2 <= sequenceLength
        })
        if settings.modelWrittenQuestions, canWrite {
            let writer = ModelQuestionWriter(modelID: model.id)
            preparer.writeQuestions = { paragraph, title in
                try writer.questions(paragraph: paragraph, title: title) { try self.reply(to: $0, maxTokens: 384)?.text ?? "" }
            }
        }
        return try preparer.prepare(document: text, path: path)
    }

    /// `documents` prepared, followed by `settings.generalShare` of general examples: the
    /// training set `lorekeeper prepare` writes for reading, correcting and training on.
    public func examples(documents: [String], settings: PreparationSettings, sequenceLength: Int) throws -> [PreparedExample] {
        try settings.validate()
        var out = [PreparedExample]()
        for path in documents {
            let text = try TrainingDataLoader.readDocument(path).text
            out += try prepare(text, path: path, settings: settings, sequenceLength: sequenceLength)
        }
        return out + (try generalExamples(count: GeneralReplay.count(share: settings.generalShare, prepared: out.count)))
    }

    /// Up to `count` general replay examples: the base model's own right answers (answers cut
    /// off by the token limit do not count; a right answer has at most 50 words: under a
    /// 160-token limit the longest of the bread maker's 41 took 62 tokens, so replies stop at 80,
    /// which kept company-brightwater's 61 answers the same and took 14 % less time than 100).
    public func generalExamples(count: Int) throws -> [PreparedExample] {
        try GeneralReplay.examples(count: count, generator: "self:\(model.id)") { prompts in
            guard model.chatTemplate != nil else { return prompts.map { _ in nil } }
            let chats = try prompts.map { try model.chatPrompt([ChatMessage(role: "user", content: $0)]) }
            return try Generator(model: model).generate(prompts: chats, options: GenerationOptions(maxTokens: 80, sampling: .init(temperature: 0))).map { reply in
                let text = reply.text.trimmingCharacters(in: .whitespacesAndNewlines)
                return reply.finishReason == .stop && !text.isEmpty ? text : nil
            }
        }
    }

    /// Whether the model is large enough to write its own Q&A pairs and replay answers.
    public var canWrite: Bool {
        ModelQuestionWriter.canWrite(parameterCount: model.config.parameterCount, hasChatTemplate: model.chatTemplate != nil)
    }

    /// The base model's greedy reply (no adapter), nil without a chat template.
    func reply(to messages: [ChatMessage], maxTokens: Int) throws -> (text: String, finished: Bool)? {
        guard model.chatTemplate != nil else { return nil }
        var text = ""
        let state = try Generator(model: model).generate(prompt: try model.chatPrompt(messages),
                                                         options: GenerationOptions(maxTokens: maxTokens, sampling: .init(temperature: 0))) { step in
            text += step.text
            return true
        }
        return (text, state.finishReason == .stop)
    }
}
