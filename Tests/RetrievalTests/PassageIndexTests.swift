import Foundation
import Testing
@testable import Retrieval

struct PassageIndexTests {
    static let passages = [
        "Boats may be booked by members up to seven days ahead.",
        "The boathouse opens at 6 am on weekdays.",
        "A late fee of £25 is added after 30 April.",
        "Members who damage a boat pay the first £150.",
    ]

    @Test func termsDropFunctionWordsAndFoldEndings() {
        #expect(PassageIndex.terms("Which boats may members book?") == ["boat", "member", "book"])
        #expect(PassageIndex.terms("It costs £12.50, or 1,200 pence.") == ["cost", "12.50", "1,200", "pence"])
        #expect(PassageIndex.terms("The class's classes opened, opening") == ["class", "class", "open", "open"])
    }

    /// Okapi BM25 by hand: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf saturated by k1 = 1.2 and
    /// the passage length against the average (b = 0.75).
    @Test func scoresAreOkapiBM25() {
        let index = PassageIndex(passages: Self.passages)
        let lengths = Self.passages.map { Double(PassageIndex.terms($0).count) }
        let average = lengths.reduce(0, +) / 4
        func part(df: Double, tf: Double, length: Double) -> Double {
            log(1 + (4 - df + 0.5) / (df + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
        }
        // "boat" is in passages 0 and 3, "member" too, "damage" in 3 only.
        let q: Set<String> = ["boat", "member", "damage"]
        #expect(abs(index.score(3, query: q) - (2 * part(df: 2, tf: 1, length: lengths[3]) + part(df: 1, tf: 1, length: lengths[3]))) < 1e-12)
        #expect(abs(index.score(0, query: q) - 2 * part(df: 2, tf: 1, length: lengths[0])) < 1e-12)
        #expect(index.score(1, query: q) == 0)
    }

    @Test func topKeepsTheBestInWrittenOrder() {
        let index = PassageIndex(passages: Self.passages)
        #expect(index.top(1, for: "What do I pay if I damage a boat?") == [Self.passages[3]])
        // The best two, read in the document's order.
        #expect(index.top(2, for: "When can members book boats, and what if they damage one?") == [Self.passages[0], Self.passages[3]])
        // Nothing that shares no term with the question.
        #expect(index.top(3, for: "What is the capital of France?") == [])
        #expect(index.top(9, for: "fee").count == 1)
    }

    @Test func appendSkipsKnownPassagesAndTheFileRoundTrips() throws {
        var index = PassageIndex(passages: Array(Self.passages.prefix(2)))
        index.append(Self.passages)
        #expect(index == PassageIndex(passages: Self.passages))
        let decoded = try JSONDecoder().decode(PassageIndex.self, from: try JSONEncoder().encode(index))
        #expect(decoded == index && decoded.top(1, for: "late fee") == [Self.passages[2]])
        #expect(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(index)) as? [String: [String]] == ["passages": Self.passages])
    }
}
