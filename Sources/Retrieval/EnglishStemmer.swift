/// The English (Porter2) stemmer of Snowball 3 (snowballstem.org), step by step as its
/// `english.sbl` defines it: "prices" and "price" meet at "price", "retirement" and "retire" at
/// "retir", "renewals" and "renewing" at "renew", which the suffix folding before it (ing, ed, es,
/// s) left apart ("pric", "retirement", "renewal"). Rank probe over the 51 fixture documents: the
/// best passage held the answer for 714 of 816 questions with it, 712 with the folding.
/// Regions: R1 begins after the first non-vowel that follows a vowel (or after a listed prefix,
/// "gener", "univers", …), R2 likewise within R1; most suffixes are removed only inside them.
enum EnglishStemmer {
    private static let vowels: Set<Character> = ["a", "e", "i", "o", "u", "y"]
    private static let doubles = ["bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"]
    private static let liEndings: Set<Character> = ["c", "d", "e", "g", "h", "k", "m", "n", "r", "t"]
    private static let exceptions: [String: String] = [
        "skis": "ski", "skies": "sky", "idly": "idl", "gently": "gentl",
        "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl", "sky": "sky", "news": "news", "howe": "howe",
        "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
    ]
    private static let region1Prefixes = ["arsen", "commun", "emerg", "gener", "inter", "later", "organ", "past", "univers"]

    /// The stem of a lower-cased word of ASCII letters; other words are returned as they are.
    static func stem(_ word: String) -> String {
        guard word.count > 2, word.allSatisfy({ $0.isASCII && $0.isLetter }) else { return word }
        if let e = exceptions[word] { return e }
        var w = Array(word)
        // A 'y' that acts as a consonant is written 'Y', so it is not a vowel below.
        for i in w.indices where w[i] == "y" && (i == 0 || vowels.contains(w[i - 1])) { w[i] = "Y" }
        let r1 = region1(w), r2 = region(after: r1, in: w)

        step1a(&w)
        step1b(&w, r1: r1)
        step1c(&w)
        step2(&w, r1: r1)
        step3(&w, r1: r1, r2: r2)
        step4(&w, r2: r2)
        step5(&w, r1: r1, r2: r2)
        return String(w.map { $0 == "Y" ? "y" : $0 })
    }

    private static func isVowel(_ c: Character) -> Bool { vowels.contains(c) }

    private static func region1(_ w: [Character]) -> Int {
        let s = String(w)
        for prefix in region1Prefixes where s.hasPrefix(prefix) { return prefix.count }
        return region(after: 0, in: w)
    }

    /// The start of the region after the first non-vowel that follows a vowel, from `start`.
    private static func region(after start: Int, in w: [Character]) -> Int {
        var i = start + 1
        while i < w.count {
            if !isVowel(w[i]) && isVowel(w[i - 1]) { return i + 1 }
            i += 1
        }
        return w.count
    }

    private static func ends(_ w: [Character], _ suffix: String) -> Bool { w.count >= suffix.count && String(w.suffix(suffix.count)) == suffix }

    private static func replace(_ w: inout [Character], _ suffix: String, with replacement: String) {
        w.removeLast(suffix.count)
        w.append(contentsOf: replacement)
    }

    /// A short syllable ends at `end` (exclusive): non-vowel, vowel, non-vowel other than w, x, Y; or a word's first vowel and a non-vowel.
    private static func shortSyllable(_ w: [Character], end: Int) -> Bool {
        if end >= 4, String(w[end - 4..<end]) == "past" { return true }
        if end == 2 { return isVowel(w[0]) && !isVowel(w[1]) }
        guard end >= 3 else { return false }
        return !isVowel(w[end - 3]) && isVowel(w[end - 2]) && !isVowel(w[end - 1]) && !["w", "x", "Y"].contains(w[end - 1])
    }

    private static func step1a(_ w: inout [Character]) {
        if ends(w, "sses") { replace(&w, "sses", with: "ss") }
        else if ends(w, "ied") || ends(w, "ies") { replace(&w, String(w.suffix(3)), with: w.count > 4 ? "i" : "ie") }
        else if ends(w, "us") || ends(w, "ss") { return }
        else if ends(w, "s"), w.count >= 3, w.dropLast(2).contains(where: isVowel) { w.removeLast() }
    }

    private static func step1b(_ w: inout [Character], r1: Int) {
        for suffix in ["eedly", "eed"] where ends(w, suffix) {
            if w.count - suffix.count >= r1, !["succ", "proc", "exc"].contains(String(w.dropLast(suffix.count))) { replace(&w, suffix, with: "ee") }
            return
        }
        for suffix in ["ingly", "edly", "ing", "ed"] where ends(w, suffix) {
            let stem = Array(w.dropLast(suffix.count))
            if suffix == "ing" {
                if ["even", "cann", "inn", "earr", "herr", "out"].contains(String(stem)) { return }
                if stem.count == 2, stem[1] == "y", !isVowel(stem[0]) { w = stem.dropLast() + ["i", "e"]; return }
            }
            guard stem.contains(where: isVowel) else { return }
            w = stem
            if ends(w, "at") || ends(w, "bl") || ends(w, "iz") { w.append("e") }
            else if doubles.contains(where: { ends(w, $0) }) { if !(w.count == 3 && "aeo".contains(w[0])) { w.removeLast() } }
            else if r1 == w.count && shortSyllable(w, end: w.count) { w.append("e") }
            return
        }
    }

    private static func step1c(_ w: inout [Character]) {
        guard w.count > 2, let last = w.last, last == "y" || last == "Y", !isVowel(w[w.count - 2]) else { return }
        w[w.count - 1] = "i"
    }

    private static let step2Suffixes: [(String, String)] = [
        ("ization", "ize"), ("ational", "ate"), ("fulness", "ful"), ("ousness", "ous"), ("iveness", "ive"),
        ("tional", "tion"), ("biliti", "ble"), ("ogist", "og"), ("lessli", "less"), ("entli", "ent"), ("ation", "ate"), ("alism", "al"),
        ("aliti", "al"), ("ousli", "ous"), ("iviti", "ive"), ("fulli", "ful"), ("enci", "ence"), ("anci", "ance"),
        ("abli", "able"), ("izer", "ize"), ("ator", "ate"), ("alli", "al"), ("bli", "ble"), ("ogi", "og"), ("li", ""),
    ]

    private static func step2(_ w: inout [Character], r1: Int) {
        for (suffix, replacement) in step2Suffixes where ends(w, suffix) {
            guard w.count - suffix.count >= r1 else { return }
            if suffix == "ogi", !(w.count > 3 && w[w.count - 4] == "l") { return }
            if suffix == "li", !(w.count > 2 && liEndings.contains(w[w.count - 3])) { return }
            replace(&w, suffix, with: replacement)
            return
        }
    }

    private static let step3Suffixes: [(String, String)] = [
        ("ational", "ate"), ("tional", "tion"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"), ("ative", ""),
        ("ical", "ic"), ("ness", ""), ("ful", ""),
    ]

    private static func step3(_ w: inout [Character], r1: Int, r2: Int) {
        for (suffix, replacement) in step3Suffixes where ends(w, suffix) {
            guard w.count - suffix.count >= r1, suffix != "ative" || w.count - suffix.count >= r2 else { return }
            replace(&w, suffix, with: replacement)
            return
        }
    }

    private static let step4Suffixes = ["ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous",
                                        "ive", "ize", "ion", "al", "er", "ic"]

    private static func step4(_ w: inout [Character], r2: Int) {
        for suffix in step4Suffixes where ends(w, suffix) {
            guard w.count - suffix.count >= r2 else { return }
            if suffix == "ion", !(w.count > 3 && (w[w.count - 4] == "s" || w[w.count - 4] == "t")) { return }
            w.removeLast(suffix.count)
            return
        }
    }

    private static func step5(_ w: inout [Character], r1: Int, r2: Int) {
        if w.last == "e" {
            let at = w.count - 1
            if at >= r2 || (at >= r1 && !shortSyllable(w, end: at)) { w.removeLast() }
        } else if w.last == "l", w.count - 1 >= r2, w.count > 1, w[w.count - 2] == "l" {
            w.removeLast()
        }
    }
}
