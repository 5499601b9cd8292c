/// An age a question gives and the age bands passages state: *My daughter is 12. How much is
/// her membership?* is answered by "Juniors aged 8 to 17 pay £15 a month", which shares no word
/// with it but holds 12; *I'm 70. Can I get a discount?* by "… tenants aged 65 or over". Prices
/// and rules by age are what policies and places state, and people ask with their own age.
enum AgeBand {
    /// The ages a question gives ("my 5-year-old", "I'm 70", "my mum's 72", "my little one is 3").
    static func ages(in question: String) -> [Int] {
        question.matches(of: asked).compactMap { m in (m.output[1].substring ?? m.output[2].substring).flatMap(number) }.filter { $0 < 120 }
    }

    /// A number in digits or in words ("4", "four", "fives" of "under-fives").
    private static func number(_ text: Substring) -> Int? {
        if let n = Int(text) { return n }
        let word = text.lowercased()
        return numberWords.firstIndex { word == $0 || word == $0 + "s" || word == $0 + "es" }
    }
    private static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                                      "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]
    private static let numberWord = numberWords.joined(separator: "|")

    /// Whether a passage states an age band that holds `age`.
    static func holds(_ age: Int, in passage: String) -> Bool {
        namesAges(passage) && passage.matches(of: band).contains { m in
            // One alternative matches: a range's bounds are groups 1 and 2, 6 and 7 or 9 and 10, an open
            // band's start 5 or 8, an "under" 3 or 11.
            func number(_ group: Int) -> Int? { m.output[group].substring.flatMap(AgeBand.number) }
            if let low = number(1) ?? number(6) ?? number(9), let high = number(2) ?? number(7) ?? number(10) { return low <= age && age <= high }
            if let under = number(3) ?? number(11) { return age < under }
            if let over = number(4) { return age > over }
            if let from = number(5) ?? number(8) { return age >= from }
            return false
        }
    }

    /// Whether a passage speaks of ages at all: "under 8" counts beside "children", not in "under 20 minutes".
    private static func namesAges(_ passage: String) -> Bool { passage.contains(ageWord) }

    /// A number that is not a measure: "12." or "16 and", not "20 minutes" or "15 %".
    private static let bare = #"\b(?![.,]?\d|\s?(?:%|[£$€]|(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|kg|g|km|m|cm|mm|metres?|meters?|litres?|liters?|miles?|people|guests|members|items|nights?|pounds|euros?|dollars?)\b))"#
    /// "I'm", "she's", or whoever a possessive names ("my mum's", "our eldest is").
    private static let person = #"\bi['’]m|i am|(?:he|she|we|they)(?:['’]s|['’]re| is| are)|\b(?:my|our|his|her|their)\b[^.?!,;]*?(?:['’]s| is)"#
    // Regex values are immutable once built; the standard library has not marked them Sendable.
    nonisolated(unsafe) private static let asked = try! Regex(
        #"\b(\d{1,3}|"# + numberWord + #")[- ]years?[- ]old\b|(?:"# + person + #"|\baged?) (\d{1,3})"# + bare
    ).ignoresCase()
    /// "aged 8 to 17", "under 8", "under the age of 5", "over 65s", "aged 65 or over", "60 and older",
    /// and as price lists put them beside a kind of person: "Student (18 to 24, …)", "Seniors (65+)",
    /// "Children 5 to 15", "Under-fives".
    nonisolated(unsafe) private static let band = try! Regex(
        #"\b(?:aged?|ages) (\d{1,3}) ?(?:to|-|–) ?(\d{1,3})\b|\b(?:under|below|younger than)[- ](?:the age of |age )?(\d{1,3})s?"# + bare
        + #"|\b(?:over|older than) (?:the age of |age )?(\d{1,3})s?"# + bare + #"|(?:^|[\s(:;])(?:aged? )?(\d{1,3}) (?:or|and) (?:over|above|older)\b"#
        + #"|\((\d{1,3}) ?(?:to|-|–) ?(\d{1,3})\b"# + bare + #"|\((\d{1,3})\+"#
        + #"|\b"# + kind + #" (\d{1,3}) ?(?:to|-|–) ?(\d{1,3})\b"# + bare + #"|\bunder-("# + numberWord + #")s\b"#
    ).ignoresCase()
    /// Who price lists name beside an age range ("Children 5 to 15: £4").
    private static let kind = #"(?:children|kids|juniors?|teens|teenagers|young people|youths?|students?|visitors|members|guests|adults|seniors|pensioners)"#
    nonisolated(unsafe) private static let ageWord = try! Regex(
        #"\b(aged?|ages|child|children|kids?|juniors?|adults?|seniors?|infants?|teenagers?|pensioners?|students?|year-olds?|years? old|under-\w+|over-\w+|(?:under|over)[- ]\d{1,3}s)\b|(?:^|[\s(:;])\d{1,3} (?:or|and) (?:over|older)\b"#
    ).ignoresCase()
}
