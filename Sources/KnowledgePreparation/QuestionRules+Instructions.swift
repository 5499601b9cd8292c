import Foundation

/// Instructions, the way manuals and policies give them, asked the way readers ask: "Brush
/// the burrs once a week" → "How often should I brush the burrs?"; "Never wash the burrs in
/// water" → "Can I wash the burrs in water?", answered "No. …"; "Wipe the lid with a damp
/// cloth" → "How should I clean the lid?".
extension QuestionRules {
    static let instructionVerbs: Set<String> = [
        "brush", "clean", "wash", "wipe", "rinse", "dry", "descale", "oil", "store", "keep", "open", "close", "press", "hold", "turn",
        "remove", "insert", "replace", "switch", "unplug", "plug", "fill", "empty", "place", "put", "add", "set", "leave", "call",
        "contact", "return", "bring", "send", "register", "read", "check", "use", "avoid", "pour", "charge", "tighten", "loosen",
        "push", "pull", "select", "choose", "attach", "detach", "lift", "lower", "allow", "let", "wait", "show", "book", "pay",
        "apply", "email", "visit", "ask", "report", "wear", "lock", "unlock", "cover", "shake", "stir", "heat", "cool", "run",
        "drain", "fit", "connect", "disconnect", "reset", "restart", "hang", "tap", "enter", "refill", "unscrew", "rotate", "slide", "clear",
    ]
    static let purposeVerbs = instructionVerbs.union(["start", "stop", "reset", "pause", "activate", "enable", "disable", "change",
                                                      "release", "fold", "unfold"])
    static let cleaningVerbs: Set<String> = ["brush", "clean", "wash", "wipe", "rinse", "descale"]
    static let frequencyWords: Set<String> = ["once", "twice", "every", "each", "daily", "weekly", "monthly", "yearly", "regularly"]

    /// Questions of a sentence that opens with an instruction (or "Never" / "Do not" and one),
    /// nil when it does not.
    static func instructions(_ words: [String], answer: String) -> [(question: String, rule: String, answer: String)]? {
        var w = words[...]
        let first = w.first.map { SentenceFacts.bare($0).lowercased() } ?? ""
        let negative = first == "never" || first == "don't" || (first == "do" && w.dropFirst().first?.lowercased() == "not")
        if negative { w = w.dropFirst(first == "do" ? 2 : 1) }
        guard let verb = w.first.map({ SentenceFacts.bare($0).lowercased() }), instructionVerbs.contains(verb), w.count >= 2,
              negative || w.first?.first?.isUppercase == true else { return nil }
        let rest = Array(w.dropFirst())
        if negative {
            let action = verb + " " + actionPhrase(rest[...])
            return [("Can I \(action)?", "instruction-never", "No. " + answer), ("Should I \(action)?", "instruction-never", "No. " + answer)]
        }
        let object = objectHead(rest.prefix { !frequencyWords.contains(SentenceFacts.bare($0).lowercased()) && !["only", "carefully", "gently"].contains(SentenceFacts.bare($0).lowercased()) })
        let does = object.isEmpty ? verb : verb + " " + object
        var out = [(String, String, String)]()
        if rest.contains(where: { frequencyWords.contains(SentenceFacts.bare($0).lowercased()) }) {
            out.append(("How often should I \(does)?", "instruction-often", answer))
        }
        if cleaningVerbs.contains(verb), !object.isEmpty { out.append(("How should I clean \(object)?", "instruction-clean", answer)) }
        if rest.contains(where: { ["when", "if", "before", "after"].contains(SentenceFacts.bare($0).lowercased()) }) {
            out.append(("When should I \(does)?", "instruction-when", answer))
        }
        out.append(("How should I \(does)?", "instruction", answer))
        // "Hold the minus button for five seconds to switch on the walk assist": what it is for.
        if let to = rest.lastIndex(where: { $0.lowercased() == "to" }), to + 2 < rest.count,
           purposeVerbs.contains(SentenceFacts.bare(rest[to + 1]).lowercased()) {
            out.append(("How do I \(actionPhrase(rest[(to + 1)...]))?", "instruction-purpose", answer))
        }
        return out
    }

    /// An action up to its first conjunction or clause break, at most eight words: "be washed in a dishwasher".
    static func actionPhrase(_ words: ArraySlice<String>) -> String {
        var action = [String]()
        for w in words.prefix(8) {
            if ["and", "or", "unless", "because", "but"].contains(SentenceFacts.bare(w).lowercased()) { break }
            action.append(w)
            if w.hasSuffix(",") || w.hasSuffix(";") { break }
        }
        return phrase(action)
    }
}
