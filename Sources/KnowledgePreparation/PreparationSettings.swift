/// Whether and how documents are turned into knowledge examples before training.
public struct PreparationSettings: Codable, Sendable, Equatable {
    /// Prepare `.txt`/`.md` documents (else they train as plain text windows, as before).
    public var enabled: Bool
    /// General-instruction replay examples per prepared example (at most `GeneralReplay.pairs.count`;
    /// in training the base model's right answers are repeated to reach it).
    public var generalShare: Double
    /// Let the base model write Q&A pairs too, when it is large enough (`ModelQuestionWriter.canWrite`).
    public var modelWrittenQuestions: Bool
    /// Train the general replay on the base model's next-token distributions along its answers
    /// (`Distillation`), not on the answers' tokens alone.
    public var distilGeneral: Bool

    public static let defaultGeneralShare = 0.5

    public init(enabled: Bool = true, generalShare: Double = defaultGeneralShare, modelWrittenQuestions: Bool = true, distilGeneral: Bool = true) {
        self.enabled = enabled
        self.generalShare = generalShare
        self.modelWrittenQuestions = modelWrittenQuestions
        self.distilGeneral = distilGeneral
    }

    /// Settings saved before `distilGeneral` existed trained on the answers' tokens.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try c.decode(Bool.self, forKey: .enabled), generalShare: try c.decode(Double.self, forKey: .generalShare),
                  modelWrittenQuestions: try c.decode(Bool.self, forKey: .modelWrittenQuestions),
                  distilGeneral: try c.decodeIfPresent(Bool.self, forKey: .distilGeneral) ?? false)
    }

    /// How runs trained before preparation existed behaved: documents as plain text.
    public static let off = PreparationSettings(enabled: false, generalShare: 0, modelWrittenQuestions: false, distilGeneral: false)

    public func validate() throws(KnowledgePreparationError) {
        guard (0...1).contains(generalShare) else { throw .invalidSettings("the general share must be in [0, 1], got \(generalShare)") }
    }
}
