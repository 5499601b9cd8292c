import Testing
import Sampling

@Suite struct SamplingParametersTests {
    let vocabulary = 100

    /// The field named by validate()'s error, or nil when the parameters pass. Also checks the message names it.
    func rejectedField(_ p: SamplingParameters) -> String? {
        do {
            try p.validate(vocabularySize: vocabulary)
            return nil
        } catch {
            switch error {
            case let .invalidParameter(field, _):
                #expect(error.description.hasPrefix("invalid \(field): "))
                return field
            }
        }
    }

    @Test func defaultsAndBoundariesPass() {
        #expect(rejectedField(SamplingParameters()) == nil)
        let edges = SamplingParameters(
            temperature: 2, topK: 1, topP: 1, minP: 1, repetitionPenalty: 0.5, penaltyLastN: -1,
            frequencyPenalty: -2, presencePenalty: 2, logitBias: [0: -100, 99: 100], seed: 0)
        #expect(rejectedField(edges) == nil)
        #expect(rejectedField(SamplingParameters(temperature: 0, topP: 0.001, frequencyPenalty: 2, presencePenalty: -2)) == nil)
    }

    @Test func rejectsEachOutOfRangeValueByName() {
        let cases: [(SamplingParameters, String)] = [
            (SamplingParameters(temperature: -0.01), "temperature"),
            (SamplingParameters(temperature: 2.01), "temperature"),
            (SamplingParameters(temperature: .nan), "temperature"),
            (SamplingParameters(topK: -1), "top_k"),
            (SamplingParameters(topP: 0), "top_p"),
            (SamplingParameters(topP: 1.01), "top_p"),
            (SamplingParameters(topP: .nan), "top_p"),
            (SamplingParameters(minP: -0.1), "min_p"),
            (SamplingParameters(minP: 1.5), "min_p"),
            (SamplingParameters(repetitionPenalty: 0), "repetition_penalty"),
            (SamplingParameters(repetitionPenalty: -1), "repetition_penalty"),
            (SamplingParameters(repetitionPenalty: .infinity), "repetition_penalty"),
            (SamplingParameters(penaltyLastN: -2), "penalty_last_n"),
            (SamplingParameters(frequencyPenalty: 2.5), "frequency_penalty"),
            (SamplingParameters(frequencyPenalty: -2.5), "frequency_penalty"),
            (SamplingParameters(presencePenalty: 2.01), "presence_penalty"),
            (SamplingParameters(presencePenalty: .nan), "presence_penalty"),
            (SamplingParameters(logitBias: [100: 1]), "logit_bias"),
            (SamplingParameters(logitBias: [-1: 1]), "logit_bias"),
            (SamplingParameters(logitBias: [3: 100.5]), "logit_bias"),
            (SamplingParameters(logitBias: [3: -101]), "logit_bias"),
        ]
        for (p, field) in cases { #expect(rejectedField(p) == field, "\(p)") }
    }

    @Test func messagesSayWhatIsAllowed() {
        #expect(throws: SamplingError.invalidParameter(field: "top_p", reason: "must be in (0, 1], got 1.5")) {
            try SamplingParameters(topP: 1.5).validate(vocabularySize: vocabulary)
        }
        #expect(throws: SamplingError.invalidParameter(field: "logit_bias", reason: "token id 100 is outside the vocabulary (0..<100)")) {
            try SamplingParameters(logitBias: [100: 1]).validate(vocabularySize: vocabulary)
        }
        #expect(SamplingError.invalidParameter(field: "temperature", reason: "must be in 0...2, got 3.0").description
            == "invalid temperature: must be in 0...2, got 3.0")
    }

    @Test func samplerValidatesItsParameters() {
        #expect(throws: SamplingError.self) { try Sampler(parameters: SamplingParameters(logitBias: [100: 1]), vocabularySize: 100) }
        #expect(throws: Never.self) { try Sampler(parameters: SamplingParameters(logitBias: [99: 1]), vocabularySize: 100) }
    }
}
