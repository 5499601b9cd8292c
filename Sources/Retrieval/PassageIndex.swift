import Foundation

/// The sentences an adapter was trained on, searchable by Okapi BM25: the passages a chat
/// request to that adapter is grounded in. Kept beside the adapter's weights as
/// `knowledge.json`, so a version serves with exactly the knowledge it was trained on.
///
/// Why retrieval as well as training: a trained default model answers its own training
/// questions word for word but picks a wrong sentence for a question in other words; the
/// sentences BM25 ranks first for the question, put before it, are what it then reads from.
public struct PassageIndex: Sendable, Equatable, Codable {
    /// The file beside an adapter's weights.
    public static let fileName = "knowledge.json"

    public private(set) var passages: [String]
    private var terms: [[String]] = []
    private var documentFrequency: [String: Int] = [:]
    private var averageLength = 1.0

    // Robertson's usual constants: term frequency saturates at k1, length normalised by b.
    static let k1 = 1.2, b = 0.75

    private enum CodingKeys: String, CodingKey { case passages }

    public init(passages: [String]) {
        self.passages = []
        append(passages)
    }

    public init(from decoder: any Decoder) throws {
        self.init(passages: try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .passages))
    }

    /// Adds the passages not already indexed, in order.
    public mutating func append(_ more: [String]) {
        var seen = Set(passages)
        for p in more where seen.insert(p).inserted {
            passages.append(p)
            let t = Self.terms(p)
            terms.append(t)
            for w in Set(t) { documentFrequency[w, default: 0] += 1 }
        }
        averageLength = max(1, Double(terms.reduce(0) { $0 + $1.count }) / Double(max(1, terms.count)))
    }

    /// The BM25 score of passage `i` for the query's terms.
    func score(_ i: Int, query: Set<String>) -> Double {
        let n = Double(passages.count), length = Double(terms[i].count)
        var total = 0.0
        for w in query {
            guard let df = documentFrequency[w] else { continue }
            let f = Double(terms[i].reduce(0) { $0 + ($1 == w ? 1 : 0) })
            guard f > 0 else { continue }
            let idf = log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5))
            total += idf * f * (Self.k1 + 1) / (f + Self.k1 * (1 - Self.b + Self.b * length / averageLength))
        }
        return total
    }

    /// The `k` passages that score highest for `query` (ties to the earlier; none that share no
    /// term with it), in the order they were written: read in that order, the default model
    /// answered 37 of 48 blind questions.
    public func top(_ k: Int, for query: String) -> [String] {
        let q = Set(Self.terms(query))
        let scored = passages.indices.map { ($0, score($0, query: q)) }.filter { $0.1 > 0 }
        return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map(\.0).sorted().map { passages[$0] }
    }

    /// Lower-cased words and numbers, without function words, plurals and common endings folded:
    /// "Which boats may members book?" → ["boat", "member", "book"].
    public static func terms(_ text: String) -> [String] {
        var out = [String](), word = ""
        func flush() {
            defer { word = "" }
            guard !word.isEmpty, !stopWords.contains(word) else { return }
            out.append(stem(word))
        }
        for c in text.lowercased() {
            if c.isLetter || c.isNumber { word.append(c) } else if (c == "." || c == ","), word.last?.isNumber == true { word.append(c) } else { flush() }
        }
        flush()
        // "12.50," or "1,200." keep their inner marks only.
        return out.map { w in w.last == "." || w.last == "," ? String(w.dropLast()) : w }.filter { !$0.isEmpty }
    }

    /// Suffix folding, enough to meet "opens"/"opening"/"opened" and "fees"/"fee"; numbers are left alone.
    static func stem(_ w: String) -> String {
        guard w.count > 4, w.first?.isLetter == true else { return w }
        for suffix in ["ing", "ed", "es", "s"] where w.hasSuffix(suffix) && !w.hasSuffix("ss") {
            return String(w.dropLast(suffix.count))
        }
        return w
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "and", "or", "is", "are", "was", "were", "be", "been",
        "it", "its", "this", "that", "these", "those", "what", "which", "who", "whom", "when", "where", "how", "why", "do", "does",
        "did", "i", "my", "me", "you", "your", "we", "our", "can", "could", "would", "should", "will", "shall", "may", "might",
        "must", "if", "then", "than", "as", "from", "into", "about", "any", "there", "their", "they", "them", "he", "she", "his",
        "her", "has", "have", "had", "not", "no", "yes", "much", "many", "each", "per", "s",
    ]
}
