#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Sampling

extension Sampler {
    /// Samples from a copy of `logits`; also returns what the sampler left in the buffer.
    mutating func sample(_ logits: [Float], generated: [Int] = [], context: [Int] = []) -> (token: Int, processed: [Float]) {
        var buffer = logits
        let token = buffer.withUnsafeMutableBufferPointer { sample(logits: $0, generated: generated, context: context) }
        return (token, buffer)
    }

    /// The ids that survive top-k / top-p / min-p, in increasing order.
    mutating func kept(_ logits: [Float]) -> [Int] {
        var buffer = logits
        let count = buffer.withUnsafeMutableBufferPointer { truncate($0) }
        return candidates[..<count].map { Int($0.id) }.sorted()
    }
}

func sampler(_ parameters: SamplingParameters, vocabulary: Int) throws -> Sampler {
    try Sampler(parameters: parameters, vocabularySize: vocabulary)
}

/// Uniform logits in [-8, 8); `quantized` rounds them to quarters so that many tokens tie.
func randomLogits(_ n: Int, _ rng: inout Xoshiro256StarStar, quantized: Bool = false) -> [Float] {
    (0..<n).map { _ in
        let x = Float(rng.nextUnitDouble() * 16 - 8)
        return quantized ? (x * 4).rounded() / 4 : x
    }
}

/// Every id, best first: highest logit, ties to the lower id (full sort, the reference for partial selection).
func ranking(_ logits: [Float]) -> [Int] {
    logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
}

func firstArgmax(_ logits: [Float]) -> Int { logits.firstIndex(of: logits.max()!)! }

@Suite struct SamplerTests {
    @Test func greedyIsArgmaxWithTiesToLowestId() throws {
        var s = try sampler(SamplingParameters(temperature: 0), vocabulary: 5)
        #expect(s.sample([1, 3, 0, 3, -2]).token == 1)
        #expect(s.sample([7, 7, 7, 7, 7]).token == 0)
        #expect(s.sample([-1, -3, -1, -3, -0.5]).token == 4)
        var rng = Xoshiro256StarStar(seed: 1)
        var big = try sampler(SamplingParameters(temperature: 0), vocabulary: 3000)
        for _ in 0..<200 {
            let logits = randomLogits(3000, &rng, quantized: true)
            #expect(big.sample(logits).token == firstArgmax(logits))
        }
    }

    @Test func topKOneIsGreedyAtAnyTemperature() throws {
        var rng = Xoshiro256StarStar(seed: 2)
        for temperature: Float in [0.05, 0.5, 1, 1.5, 2] {
            var s = try sampler(SamplingParameters(temperature: temperature, topK: 1), vocabulary: 5000)
            for _ in 0..<50 {
                let logits = randomLogits(5000, &rng, quantized: true)
                #expect(s.sample(logits).token == firstArgmax(logits))
            }
        }
    }

    @Test func topKSelectsTheBestKOfALargeVocabulary() throws {
        let n = 128_000
        var rng = Xoshiro256StarStar(seed: 3)
        var logits = randomLogits(n, &rng, quantized: true)  // 65 distinct values: ties everywhere
        logits[5] = -.infinity  // a masked token
        logits[77] = -10_000  // an outlier that stretches the histogram's range
        let reference = ranking(logits)
        for k in [1, 2, 40, 1000, n - 1] {
            var s = try sampler(SamplingParameters(topK: k), vocabulary: n)
            let same = s.kept(logits) == reference.prefix(k).sorted()  // not printed: up to 128k ids
            #expect(same, "top_k = \(k)")
        }
        for k in [n, n + 5] {  // top-k that keeps everything is no truncation at all
            var s = try sampler(SamplingParameters(topK: k), vocabulary: n)
            let same = s.kept(logits) == Array(0..<n)
            #expect(same, "top_k = \(k)")
        }
    }

    @Test func selectionHandlesEqualAndInfiniteLogits() throws {
        let flat = [Float](repeating: 0.25, count: 1000)
        var topK = try sampler(SamplingParameters(topK: 10), vocabulary: 1000)
        #expect(topK.kept(flat) == Array(0..<10))
        var topP = try sampler(SamplingParameters(topP: 0.5), vocabulary: 1000)
        #expect(topP.kept(flat) == Array(0..<500))

        let masked: [Float] = [-.infinity, 1, -.infinity, 2, 0]
        for (p, expected) in [(SamplingParameters(topK: 2), [1, 3]), (SamplingParameters(topK: 4), [0, 1, 3, 4]), (SamplingParameters(topP: 0.6), [3]), (SamplingParameters(topP: 0.7), [1, 3])] {
            var s = try sampler(p, vocabulary: 5)
            #expect(s.kept(masked) == expected, "\(p)")
        }
        var allMasked = try sampler(SamplingParameters(topK: 2), vocabulary: 4)
        #expect(allMasked.kept([-.infinity, -.infinity, -.infinity, -.infinity]) == [0, 1])
    }

    @Test func topPKeepsTheSmallestSetReachingP() throws {
        // Probabilities 0.1, 0.4, 0.2, 0.3: by rank 1, 3, 2, 0 with cumulative 0.4, 0.7, 0.9, 1.
        let logits = [0.1, 0.4, 0.2, 0.3].map { Float(log($0)) }
        let cases: [(Float, [Int])] = [(0.35, [1]), (0.5, [1, 3]), (0.8, [1, 2, 3]), (0.95, [0, 1, 2, 3]), (1, [0, 1, 2, 3])]
        for (p, expected) in cases {
            var s = try sampler(SamplingParameters(topP: p), vocabulary: 4)
            #expect(s.kept(logits) == expected, "top_p = \(p)")
        }
        // After top-k = 2 the survivors are renormalised: 0.4 / 0.7 = 0.57 alone reaches 0.5.
        var afterTopK = try sampler(SamplingParameters(topK: 2, topP: 0.5), vocabulary: 4)
        #expect(afterTopK.kept(logits) == [1])
    }

    @Test func topPOverALargeVocabularyMatchesAFullSort() throws {
        let n = 128_000
        var rng = Xoshiro256StarStar(seed: 4)
        let flat = randomLogits(n, &rng).map { $0 / 4 }  // needs most of the vocabulary: exercises every regrowth
        let peaked = randomLogits(n, &rng).map { $0 * 3 }  // a few dozen tokens hold the mass
        for logits in [flat, peaked] {
            let order = ranking(logits)
            let maxLogit = logits.max()!
            var z = 0.0
            for l in logits { z += Double(exp(l - maxLogit)) }
            for p: Float in [0.3, 0.9, 0.99] {
                var mass = 0.0
                var size = 0
                while mass < Double(p) * z {
                    mass += Double(exp(logits[order[size]] - maxLogit))
                    size += 1
                }
                var s = try sampler(SamplingParameters(topP: p), vocabulary: n)
                let kept = s.kept(logits)
                let same = kept == order.prefix(size).sorted()  // not printed: 100k ids
                #expect(same, "top_p = \(p): kept \(kept.count) tokens, expected \(size)")
            }
        }
    }

    @Test func minPKeepsTokensAtLeastMinPTimesTheBest() throws {
        let logits = [0.05, 0.5, 0.15, 0.2, 0.1].map { Float(log($0)) }
        let cases: [(SamplingParameters, [Int])] = [
            (SamplingParameters(minP: 0.25), [1, 2, 3]),
            (SamplingParameters(topK: 4, minP: 0.25), [1, 2, 3]),
            (SamplingParameters(minP: 0.5), [1]),
            (SamplingParameters(minP: 1), [1]),
            (SamplingParameters(minP: 0.15), [1, 2, 3, 4]),
            (SamplingParameters(topP: 0.6, minP: 0.25), [1, 3]),  // top-p cuts first
            (SamplingParameters(topP: 0.9, minP: 0.35), [1, 3]),  // min-p cuts further
        ]
        for (p, expected) in cases {
            var s = try sampler(p, vocabulary: 5)
            #expect(s.kept(logits) == expected, "\(p)")
        }
        // A token exactly at the threshold stays (llama.cpp's >=): min_p = 1 keeps every token tied for the best.
        for p in [SamplingParameters(minP: 1), SamplingParameters(topK: 3, minP: 1)] {
            var s = try sampler(p, vocabulary: 4)
            #expect(s.kept([0, 0.5, -1, 0.5]) == [1, 3], "\(p)")
        }
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeOverTheWindow() throws {
        let logits: [Float] = [2, -2, 0, 1, 3, 4]
        func processed(_ penaltyLastN: Int, context: [Int], generated: [Int]) throws -> [Float] {
            var s = try sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2, penaltyLastN: penaltyLastN), vocabulary: 6)
            return s.sample(logits, generated: generated, context: context).processed
        }
        // Each distinct token once, however often it repeats; prompt tokens count.
        #expect(try processed(64, context: [0, 1], generated: [1, 2, 1]) == [1, -4, 0, 1, 3, 4])
        // The window is the tail of prompt + generated.
        #expect(try processed(2, context: [0, 1, 3], generated: [4]) == [2, -2, 0, 0.5, 1.5, 4])
        #expect(try processed(3, context: [0, 1, 3], generated: [4, 5]) == [2, -2, 0, 0.5, 1.5, 2])
        #expect(try processed(1, context: [0], generated: [5, 4]) == [2, -2, 0, 1, 1.5, 4])
        #expect(try processed(0, context: [0], generated: [5]) == logits)
        #expect(try processed(-1, context: [0, 1, 3, 3, 3], generated: [5, 5, 5]) == [1, -4, 0, 0.5, 3, 2])
        // Ids outside the vocabulary have no logit: ignored.
        #expect(try processed(64, context: [-1], generated: [6, 99]) == logits)
    }

    @Test func frequencyAndPresencePenaltiesCountOnlyGeneratedTokens() throws {
        let logits: [Float] = [2, -2, 0, 1, 3, 4]
        var s = try sampler(SamplingParameters(temperature: 0, frequencyPenalty: 0.5, presencePenalty: 0.25), vocabulary: 6)
        // Token 2 generated 3 times: 0 - (3 * 0.5 + 0.25); token 4 once: 3 - 0.75. Prompt tokens 0 and 3 untouched.
        let expected: [Float] = [2, -2, -1.75, 1, 2.25, 4]
        #expect(s.sample(logits, generated: [2, 4, 2, 2], context: [0, 0, 3]).processed == expected)
        // Again: the counting scratch must have been reset.
        #expect(s.sample(logits, generated: [2, 4, 2, 2], context: [0, 0, 3]).processed == expected)
        var negative = try sampler(SamplingParameters(temperature: 0, frequencyPenalty: -1), vocabulary: 6)
        #expect(negative.sample(logits, generated: [1, 1]).processed == [2, 0, 0, 1, 3, 4])
        var presence = try sampler(SamplingParameters(temperature: 0, presencePenalty: 2), vocabulary: 6)
        #expect(presence.sample(logits, generated: [5, 5, 5, 0]).processed == [0, -2, 0, 1, 3, 2])
    }

    @Test func penaltiesCombineInLlamaCppOrder() throws {
        let logits: [Float] = [2, -2, 0, 1, 3, 4]
        let p = SamplingParameters(temperature: 0, repetitionPenalty: 2, frequencyPenalty: 0.5, presencePenalty: 0.25)
        var s = try sampler(p, vocabulary: 6)
        // Token 4 (generated twice): 3 / 2 - (2 * 0.5 + 0.25) = 0.25; token 1 (prompt only): -2 * 2.
        let expected: [Float] = [2, -4, 0, 1, 0.25, 4]
        #expect(s.sample(logits, generated: [4, 4], context: [1]).processed == expected)
        #expect(s.sample(logits, generated: [4, 4], context: [1]).processed == expected)
    }

    @Test func logitBiasIsAddedBeforePenalties() throws {
        let logits: [Float] = [2, 3, 0, 1, 3, 4]
        var s = try sampler(SamplingParameters(temperature: 0, logitBias: [1: 5, 4: -100]), vocabulary: 6)
        #expect(s.sample(logits) == (1, [2, 8, 0, 1, -97, 4]))
        // Bias first: (1 + 3) / 2 = 2, not 1 / 2 + 3.
        var ordered = try sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2, logitBias: [3: 3]), vocabulary: 6)
        #expect(ordered.sample(logits, generated: [3]).processed == [2, 3, 0, 2, 3, 4])
    }

    @Test func extremeBiasesForceAndBan() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        var forced = try sampler(SamplingParameters(temperature: 2, logitBias: [17: 100]), vocabulary: 1000)
        for _ in 0..<1000 { #expect(forced.sample(randomLogits(1000, &rng)).token == 17) }
        var banned = try sampler(SamplingParameters(temperature: 2, logitBias: [0: -100]), vocabulary: 3)
        var draws = [0, 0, 0]
        for _ in 0..<20_000 { draws[banned.sample([5, 0, 0]).token] += 1 }
        #expect(draws[0] == 0 && draws[1] > 9000 && draws[2] > 9000)
    }

    @Test func sampledBufferHoldsLogitsBeforeTemperature() throws {
        let logits: [Float] = [2, -2, 0, 1, 3, 4]
        var s = try sampler(SamplingParameters(temperature: 0.5, topK: 2, repetitionPenalty: 2, logitBias: [0: 1]), vocabulary: 6)
        let result = s.sample(logits, generated: [5])
        #expect(result.processed == [3, -2, 0, 1, 3, 2])
        #expect(result.token == 0 || result.token == 4)
    }

    @Test func nanLogitsStillGiveATokenInRange() throws {
        let broken: [[Float]] = [[.nan, .nan, .nan, .nan], [1, .nan, 3, .nan], [.nan, 2, -.infinity, 0]]
        for p in [SamplingParameters(temperature: 0), SamplingParameters(), SamplingParameters(topK: 2), SamplingParameters(topP: 0.5, minP: 0.1)] {
            var s = try sampler(p, vocabulary: 4)
            for logits in broken { #expect((0..<4).contains(s.sample(logits).token), "\(p), \(logits)") }
        }
    }

    @Test func sameSeedGivesTheSameThousandTokens() throws {
        let p = SamplingParameters(temperature: 0.9, topK: 50, topP: 0.95, repetitionPenalty: 1.1, frequencyPenalty: 0.2, seed: 1234)
        func run(_ parameters: SamplingParameters) throws -> [Int] {
            var s = try sampler(parameters, vocabulary: 1000)
            var logitsRNG = Xoshiro256StarStar(seed: 99)  // the same "model output" sequence every run
            var generated: [Int] = []
            for _ in 0..<1000 {
                generated.append(s.sample(randomLogits(1000, &logitsRNG).map { $0 / 2 }, generated: generated, context: [1, 2, 3]).token)
            }
            return generated
        }
        let a = try run(p)
        #expect(try run(p) == a)
        var other = p
        other.seed = 1235
        #expect(try run(other) != a)
        #expect(Set(a).count > 100)  // really sampling, not stuck on one token

        var unseeded = p
        unseeded.seed = nil
        let reported = try sampler(unseeded, vocabulary: 1000).seed
        var replay = p
        replay.seed = reported
        #expect(try sampler(replay, vocabulary: 1000).seed == reported)
        #expect(try sampler(SamplingParameters(seed: 7), vocabulary: 10).seed == 7)
    }

    /// Draws `count` tokens and checks each frequency against `expected` within 5 binomial standard deviations.
    func checkFrequencies(_ p: SamplingParameters, logits: [Float], expected: [Double], count: Int = 200_000) throws {
        var s = try sampler(p, vocabulary: logits.count)
        var seen = [Int](repeating: 0, count: logits.count)
        for _ in 0..<count { seen[s.sample(logits).token] += 1 }
        for (token, q) in expected.enumerated() {
            let sigma = (Double(count) * q * (1 - q)).squareRoot()
            #expect(abs(Double(seen[token]) - Double(count) * q) <= 5 * sigma, "token \(token): \(seen[token]) draws, expected \(Double(count) * q)")
        }
    }

    @Test func drawsFollowTheDistribution() throws {
        let probabilities = [0.05, 0.1, 0.15, 0.3, 0.4]
        let logits = probabilities.map { Float(log($0) + 2) }
        func normalised(_ w: [Double]) -> [Double] { w.map { $0 / w.reduce(0, +) } }
        try checkFrequencies(SamplingParameters(seed: 11), logits: logits, expected: probabilities)
        // Temperature 0.5 squares the probabilities.
        try checkFrequencies(SamplingParameters(temperature: 0.5, seed: 12), logits: logits, expected: normalised(probabilities.map { $0 * $0 }))
        // Top-k 4 then top-p 0.8 over the renormalised four (0.42, 0.74, 0.89) keep tokens 4, 3, 2; then temperature 1.5.
        let kept = [0, 0, 1, 1, 1].enumerated().map { Double($0.element) * pow(probabilities[$0.offset], 1 / 1.5) }
        try checkFrequencies(SamplingParameters(temperature: 1.5, topK: 4, topP: 0.8, seed: 13), logits: logits, expected: normalised(kept))
    }
}
