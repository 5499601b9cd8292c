import Testing
import Sampling

/// Feeds the chunks; returns the concatenated output (plus `finish()` if no stop was hit) and whether it stopped.
func run(_ stops: [String], _ chunks: [String]) -> (text: String, stopped: Bool) {
    var matcher = StopSequenceMatcher(stops: stops)
    var text = ""
    for chunk in chunks {
        let (emit, stopped) = matcher.append(chunk)
        text += emit
        if stopped { return (text, true) }
    }
    return (text + matcher.finish(), false)
}

func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

@Suite struct StopSequenceMatcherTests {
    @Test func cutsBeforeTheStopInOneChunk() {
        var m = StopSequenceMatcher(stops: ["END"])
        #expect(m.append("Hello END world") == ("Hello ", true))
        #expect(m.append("more") == ("", true))
        #expect(m.finish() == "")
    }

    @Test func holdsBackOnlyWhatCouldStartAStop() {
        var m = StopSequenceMatcher(stops: ["END"])
        #expect(m.append("abE") == ("ab", false))
        #expect(m.append("N") == ("", false))
        #expect(m.append("x") == ("ENx", false))
        #expect(m.append("yEN") == ("y", false))
        #expect(m.finish() == "EN")
    }

    @Test func findsAStopSpanningManyChunks() {
        let stop = "<|im_end|>"
        let chunks = ["The answer", " is 42.", "<"] + stop.dropFirst().map { String($0) } + ["after"]
        #expect(run([stop], chunks) == ("The answer is 42.", true))
        var m = StopSequenceMatcher(stops: [stop])
        #expect(m.append("ok<|im") == ("ok", false))
        #expect(m.append("_end") == ("", false))
        #expect(m.append("|>tail") == ("", true))
    }

    @Test func overlappingPrefixesAreNotLost() {
        var m = StopSequenceMatcher(stops: ["aab"])
        #expect(m.append("a") == ("", false))
        #expect(m.append("a") == ("", false))
        #expect(m.append("a") == ("a", false))
        #expect(m.append("b") == ("", true))
        #expect(run(["abab"], ["ab", "ab", "c"]) == ("", true))
        #expect(run(["abac"], ["ab", "ab", "ac"]) == ("ab", true))
    }

    @Test func earliestStopWins() {
        #expect(run(["world", "lo w"], ["hello world"]) == ("hel", true))
        #expect(run(["b", "abc"], ["xabc"]) == ("x", true))
        // A stop completed now ends generation, even while a longer one starting earlier is still possible.
        #expect(run(["abcd", "bc"], ["a", "b", "c", "d"]) == ("a", true))
        #expect(run(["abcd", "bc"], ["abcd"]) == ("", true))
    }

    @Test func emptyStopsAreIgnored() {
        #expect(run([""], ["abc", "def"]) == ("abcdef", false))
        var m = StopSequenceMatcher(stops: ["", "x"])
        #expect(m.append("abc") == ("abc", false))
        #expect(m.append("yxz") == ("y", true))
        var none = StopSequenceMatcher(stops: [])
        #expect(none.append("anything") == ("anything", false))
    }

    @Test func matchesUnicodeScalars() {
        #expect(run(["👍🏽"], ["ok👍", "🏽 yes"]) == ("ok", true))
        #expect(run(["👍🏽"], ["ok👍", " yes"]) == ("ok👍 yes", false))
        #expect(run(["。"], ["東京は", "日本の首都です。", "次"]) == ("東京は日本の首都です", true))
        // Scalars, not Characters: the stop "e" matches the e of a decomposed é.
        let decomposed = run(["e"], ["caf", "e\u{301}!"])
        #expect(scalars(decomposed.text) == scalars("caf") && decomposed.stopped)
        // ...and a precomposed é is a different scalar: no match, and the text is emitted unchanged.
        let precomposed = run(["e\u{301}"], ["caf\u{e9}"])
        #expect(scalars(precomposed.text) == scalars("caf\u{e9}") && !precomposed.stopped)
    }

    /// The naive reference, run after every chunk: concatenate everything so far and find the earliest stop; if
    /// there is none, everything but the longest tail that is a prefix of some stop may be out.
    @Test func agreesWithTheNaiveReferenceOnRandomChunkings() {
        let alphabet: [Unicode.Scalar] = ["a", "b", "c", "\u{e9}", "\u{301}", "😀"]
        var rng = Xoshiro256StarStar(seed: 31)
        func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func randomScalars(_ maxCount: Int) -> [Unicode.Scalar] { (0..<random(maxCount + 1)).map { _ in alphabet[random(3) == 0 ? random(6) : random(2)] } }
        func string(_ s: some Sequence<Unicode.Scalar>) -> String {
            var text = ""
            text.unicodeScalars.append(contentsOf: s)
            return text
        }
        var stoppedRuns = 0
        for _ in 0..<5000 {
            let stops = (0..<random(4)).map { _ in randomScalars(4) }
            let text = randomScalars(40)
            var cuts = (0..<random(8)).map { _ in random(text.count + 1) }.sorted()
            cuts = [0] + cuts + [text.count]

            var matcher = StopSequenceMatcher(stops: stops.map(string))
            var emitted: [Unicode.Scalar] = []
            var stopped = false
            for (from, to) in zip(cuts, cuts.dropFirst()) {
                let (emit, hit) = matcher.append(string(text[from..<to]))
                emitted += emit.unicodeScalars
                let seen = Array(text[..<to])
                let firstStop = seen.indices.first { start in stops.contains { !$0.isEmpty && seen[start...].starts(with: $0) } }
                #expect(hit == (firstStop != nil), "stops \(stops.map(string)), text \(string(seen))")
                if let firstStop {
                    #expect(emitted == Array(seen[..<firstStop]))
                    stopped = true
                    break
                }
                let held = (0...seen.count).first { start in
                    stops.contains { $0.count > seen.count - start && $0.starts(with: seen[start...]) }
                } ?? seen.count
                #expect(emitted == Array(seen[..<held]), "stops \(stops.map(string)), text \(string(seen))")
            }
            if stopped {
                stoppedRuns += 1
            } else {
                emitted += matcher.finish().unicodeScalars
                #expect(emitted == text)
            }
        }
        #expect(stoppedRuns > 1000)  // both outcomes well covered
    }
}
