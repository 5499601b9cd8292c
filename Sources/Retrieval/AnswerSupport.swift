/// Whether a grounded answer says what its passages say.
///
/// Given the sentence that holds the answer, the default model's adapters still often answer
/// with another fact: "The company now employs 32 employees" beside "has grown to 27 employees",
/// "The unit measures 36 × 24 × 31 cm" for *How heavy is it?*, or a memorised sentence about
/// something else. An answer that states a number neither its passages nor its question state,
/// or whose words mostly come from elsewhere, is not supported by what it was grounded in, and
/// the server answers with the best passage itself: the document's own sentence, which states
/// the fact in full (`KnowledgeGrounding`).
///
/// Measured on the third and fourth unseen sets' adapters (185 questions grounded; each answer
/// greedy, beside the best passage, as served): 126 answered right; with numbers checked, 136;
/// with numbers and a share of at least 0.5, 0.7 or 0.9 of the answer's terms in the passage,
/// 141, 146 and 147 (the passage itself every time: 148), and with the answer types at 0.7, 147.
/// Of the 126, 3 were lost: answers right from memory beside a passage that did not hold them.
public enum AnswerSupport {
    /// The least share of an answer's terms (`PassageIndex.terms`) found in its passages.
    public static let minimumShare = 0.7

    /// Whether answers are checked unless the server is told: on models under a billion
    /// parameters, where it was measured. A larger chat model reads its sentence better and
    /// words the answer its own way (or in the user's language), which the share would replace
    /// by the sentence; unmeasured, since no such weights were at hand, so it is left to
    /// `serve --answer-check` there.
    public static func checksByDefault(parameterCount: Int) -> Bool { parameterCount < 1_000_000_000 }

    /// Whether `answer` states only numbers that `passages` or `question` state, at least
    /// `minimumShare` of its terms are the passages' or such numbers (the passages' headings and
    /// titles count: an answer may name its subject), and it states the kind of fact the
    /// question asks for (`AnswerType`) where the passages do. An answer without terms ("No.")
    /// is not supported, nor one that says nothing of the passages beyond the question's words
    /// (*The red light keeps flashing. What's wrong?* answered "The red light keeps flashing.").
    public static func holds(_ answer: String, passages: [PassageIndex.Passage], question: String) -> Bool {
        let said = PassageIndex.terms(answer).map(number)
        guard !said.isEmpty else { return false }
        let source = Set(passages.flatMap { [$0.text, $0.heading ?? "", $0.title ?? ""] }.flatMap(PassageIndex.terms).map(number))
        let questionTerms = Set(PassageIndex.terms(question).map(number))
        // The question's numbers count, not its words: an answer that echoes the question says nothing.
        let asked = questionTerms.filter(isNumber)
        let backed = { (term: String) in source.contains(term) || asked.contains(term) }
        guard said.allSatisfy({ !isNumber($0) || backed($0) }),
              Double(said.filter(backed).count) >= minimumShare * Double(said.count),
              said.contains(where: { source.contains($0) && !questionTerms.contains($0) }) else { return false }
        // "How heavy is it?" beside a sentence that states a weight wants the weight, not its size.
        let stated = AnswerType.asked(by: question).filter { type in passages.contains { type.isStated(in: $0.text) } }
        return stated.isEmpty || stated.contains { $0.isStated(in: answer) }
    }

    /// A number's digits without thousands separators ("1,200" and "1200" are one number).
    static func number(_ term: String) -> String {
        isNumber(term) && term.contains(",") ? term.replacingOccurrences(of: ",", with: "") : term
    }

    static func isNumber(_ term: String) -> Bool { term.first?.isNumber == true }
}
