#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Sampling

func logProbabilities(_ logits: [Float], chosen: Int, top: Int) -> TokenLogProb {
    logits.withUnsafeBufferPointer { logProbabilities(logits: $0, chosen: chosen, top: top) }
}

@Suite struct TokenLogProbTests {
    @Test func twoTokens() {
        let result = logProbabilities([0, Float(log(3.0))], chosen: 0, top: 2)
        #expect(result.token == 0)
        #expect(abs(result.logProb - Float(log(0.25))) < 1e-6)
        #expect(result.top.map(\.token) == [1, 0])
        #expect(abs(result.top[0].logProb - Float(log(0.75))) < 1e-6)
        #expect(result.top[1].logProb == result.logProb)
    }

    @Test func matchesADoubleLogSoftmaxOnALargeVocabulary() {
        var rng = Xoshiro256StarStar(seed: 21)
        let logits = randomLogits(49_152, &rng).map { $0 * 2 }
        let maxLogit = Double(logits.max()!)
        let logZ = maxLogit + log(logits.reduce(0.0) { $0 + exp(Double($1) - maxLogit) })
        let reference = logits.map { Double($0) - logZ }
        #expect(abs(reference.reduce(0.0) { $0 + exp($1) } - 1) < 1e-9)
        for chosen in [0, 123, 49_151] {
            let result = logProbabilities(logits, chosen: chosen, top: 20)
            #expect(abs(Double(result.logProb) - reference[chosen]) < 1e-5)
            #expect(result.top.map(\.token) == Array(ranking(logits).prefix(20)))
            for alternative in result.top { #expect(abs(Double(alternative.logProb) - reference[alternative.token]) < 1e-5) }
            #expect(zip(result.top, result.top.dropFirst()).allSatisfy { $0.logProb >= $1.logProb })
        }
    }

    @Test func tiesGoToTheLowerIdAndTopIsClamped() {
        let flat = [Float](repeating: 0.5, count: 30)
        let result = logProbabilities(flat, chosen: 29, top: 5)
        #expect(result.top.map(\.token) == [0, 1, 2, 3, 4])
        #expect(abs(result.logProb - Float(-log(30.0))) < 1e-6)
        #expect(logProbabilities(flat, chosen: 0, top: 50).top.count == TokenLogProb.maxTop)
        #expect(logProbabilities(flat, chosen: 0, top: 0).top.isEmpty)
        #expect(logProbabilities(flat, chosen: 0, top: -3).top.isEmpty)
        #expect(logProbabilities([1, 2, 3], chosen: 0, top: 20).top.map(\.token) == [2, 1, 0])
    }

    @Test func isStableForHugeAndInfiniteLogits() {
        let result = logProbabilities([10_000, 9_999, -10_000, -.infinity], chosen: 1, top: 4)
        #expect(abs(result.top[0].logProb - Float(-log(1 + exp(-1.0)))) < 1e-6)
        #expect(abs(result.logProb - Float(-1 - log(1 + exp(-1.0)))) < 1e-6)
        #expect(result.top[2].logProb.isFinite && result.top[2].logProb < -19_000)
        #expect(result.top[3].logProb == -.infinity)
    }

    @Test func reportsTheDistributionAfterBiasAndPenalties() throws {
        // The sampler leaves the biased, penalised logits in the buffer; log-probs are taken from that.
        var s = try Sampler(parameters: SamplingParameters(temperature: 0.3, topK: 1, logitBias: [2: -100]), vocabularySize: 3)
        var logits: [Float] = [0, 0, 0]
        let token = logits.withUnsafeMutableBufferPointer { s.sample(logits: $0, generated: [], context: []) }
        let result = logProbabilities(logits, chosen: token, top: 3)
        #expect(token == 0)
        #expect(abs(result.logProb - Float(log(0.5))) < 1e-6)  // top-k and temperature do not change the report
        #expect(result.top.map(\.token) == [0, 1, 2])
        #expect(abs(result.top[2].logProb - (-100 - Float(log(2.0)))) < 1e-4)
    }
}
