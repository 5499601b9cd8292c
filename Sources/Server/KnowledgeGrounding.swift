import Retrieval
import Tokenizers

/// Chat requests to an adapter trained on documents are grounded in them: the passages that
/// rank first for the last user message are put before it ("Document: …\n\nQuestion: …"), so
/// the model reads the fact it was trained on next to a question worded its own way.
///
/// The passages are ranked by the question and, with `draftTokens`, by a draft: the adapter's own
/// greedy answer to the conversation without them (`PassageIndex.ranked(for:draft:)`), generated
/// first through the scheduler like any request, so such a grounded chat costs two generations.
/// By default the question ranks alone: adapters trained on grounded questions too
/// (`KnowledgePreparer.groundedViews`) recite less by heart, and a draft that only echoes the
/// question left questions ungrounded. Six unseen documents (96 questions): 72 with the draft,
/// 78 by the question alone; general answers kept 79 and 77 of 84 (without grounded training,
/// 70 and 77, general 71 and 73).
///
/// Measured on twelve unseen documents' adapters (192 questions; `bench/knowledge-experiments.md`):
/// ungrounded 116; the best sentence in the system message 140. With the sentence that holds the
/// answer given to it, the adapter answered 157 with it in the system message and 169 with it in
/// the question's own message: the adapter, trained on questions without a system message, reads
/// a sentence beside the question and often recites another memorised one when it is further
/// away. With the ranked best sentence beside the question: 161 (and 140 with the best two).
/// A question whose draft uses nothing of the documents beyond the question's own words is left
/// ungrounded (`PassageIndex.drawsOnTheDocuments`): general answers kept 142 → 147 of 168.
/// Where the adapter's `knowledge.json` has sentence vectors of the served model, the question's
/// vector, made through the scheduler as well, ranks the passages too (`LoadedModel.sentenceEmbeddings`).
///
/// A question nearer to the general prompts the adapter was trained to keep answering than to
/// anything in its documents (`PassageIndex.asksNothingOfThePassages`) is not grounded, and with
/// `baseForGeneral` it is answered by the base model's own weights: it asks nothing the adapter
/// learned, and on a small model the adapter costs general answers (`bench/knowledge-experiments.md`).
///
/// The answer is checked against its passages (`AnswerSupport`): where it states a number they do
/// not, its words mostly come from elsewhere, or it lacks the kind of fact asked for that they
/// state, the best passage is the answer, the document's own sentence. A streamed answer that may be replaced so is sent once it is whole.
struct KnowledgeGrounding: Sendable {
    /// Passages put before a question; 0 turns grounding off.
    let passages: Int
    /// Tokens of the draft answer; 0 ranks by the question alone.
    let draftTokens: Int
    /// Answer questions that ask nothing of an adapter's documents without the adapter.
    var baseForGeneral = true

    /// Whether a request to an adapter with `index` is grounded, and so whether it needs a draft.
    func applies(to index: PassageIndex?) -> Bool { passages > 0 && index != nil }

    /// The message grounding answers: the last user message.
    static func question(in messages: [ChatMessage]) -> String? { messages.last { $0.role == "user" }?.content }

    /// Whether a question to an adapter with `index`, with this sentence vector, is answered by the base model.
    func answersFromBase(_ question: String, in index: PassageIndex?, questionVector: [Float]?) -> Bool {
        guard baseForGeneral, applies(to: index), let index, let questionVector else { return false }
        return index.asksNothingOfThePassages(question, vector: questionVector)
    }

    /// Replace answers their passages do not support (`AnswerSupport`) by the best passage.
    var checksAnswers = true

    /// A grounded question: the messages with the passages before it, and the passages, best first.
    struct Grounded: Sendable {
        let messages: [ChatMessage]
        let question: String
        let passages: [PassageIndex.Passage]
    }

    func ground(_ messages: [ChatMessage], in index: PassageIndex?, draft: String? = nil, questionVector: [Float]? = nil) -> [ChatMessage] {
        grounded(messages, in: index, draft: draft, questionVector: questionVector)?.messages ?? messages
    }

    /// Nil where the question is not grounded (see `ground`).
    func grounded(_ messages: [ChatMessage], in index: PassageIndex?, draft: String? = nil, questionVector: [Float]? = nil) -> Grounded? {
        guard applies(to: index), let index, let last = messages.lastIndex(where: { $0.role == "user" }) else { return nil }
        let question = messages[last].content
        let best = index.top(passages, for: question, draft: draft, questionVector: questionVector)
        guard !best.isEmpty else { return nil }
        var out = messages
        out[last].content = GroundedPrompt.text(question: question, passages: best.sorted().map { index.passages[$0].text })
        return Grounded(messages: out, question: question, passages: best.map { index.passages[$0] })
    }

    /// The answer to a grounded question as served where `checksAnswers`: the model's own where
    /// its passages support it, else the best passage's sentence.
    func checked(_ answer: String, _ grounded: Grounded) -> (text: String, replaced: Bool) {
        guard let best = grounded.passages.first,
              !AnswerSupport.holds(answer, passages: grounded.passages, question: grounded.question) else { return (answer, false) }
        return (best.text, true)
    }
}
