/// The months, weekdays and dates a text names, spans read out: *Could we visit on a Tuesday in
/// January?* is answered by "From November to February it opens only at weekends", which shares
/// no word with it but holds January; *Can I go out on Boxing Day?* by "It is closed on 25 and
/// 26 December"; *on a summer afternoon* by "From March to October the castle opens daily".
/// Opening seasons, closing days and deadlines are what places and policies state, and people
/// ask with a day or a month of their own, as they ask with their age (`AgeBand`).
struct CalendarMention: Equatable {
    /// 1 (January) to 12.
    var months: Set<Int> = []
    /// 1 (Monday) to 7.
    var weekdays: Set<Int> = []
    /// month × 100 + day: 1226 is 26 December.
    var dates: Set<Int> = []

    var isEmpty: Bool { months.isEmpty && weekdays.isEmpty && dates.isEmpty }

    /// Whether these stated months, weekdays and dates hold all that `asked` names of a kind:
    /// its dates (one is enough), else its months, or its weekdays. A date asked is matched by
    /// dates only: Boxing Day is not answered by "from October to March".
    func holds(_ asked: CalendarMention) -> Bool {
        if !asked.dates.isEmpty { return !dates.isDisjoint(with: asked.dates) }
        return (!asked.months.isEmpty && asked.months.isSubset(of: months))
            || (!asked.weekdays.isEmpty && asked.weekdays.isSubset(of: weekdays))
    }

    init(_ text: String) {
        let tokens = Self.tokens(text)
        var i = 0
        while i < tokens.count {
            defer { i += 1 }
            let t = tokens[i]
            if let m = month(at: i, in: tokens) {
                // "April to October", "Apr–Oct", "between November and February".
                if let (j, end) = partner(after: i, in: tokens, { month(at: $0, in: tokens) }) {
                    months.formUnion(Self.span(m, end, cycle: 12))
                    i = j
                    continue
                }
                months.insert(m)
                // "December 26", not "December 2025".
                if i + 1 < tokens.count, let d = Int(tokens[i + 1]), (1...31).contains(d) { dates.insert(m * 100 + d) }
            } else if let d = Self.weekdays[t] {
                if let (j, end) = partner(after: i, in: tokens, { Self.weekdays[tokens[$0]] }) {
                    weekdays.formUnion(Self.span(d, end, cycle: 7))
                    i = j
                    continue
                }
                weekdays.insert(d)
            } else if let group = Self.groups[t] {
                months.formUnion(group.months)
                weekdays.formUnion(group.weekdays)
            } else if let days = dayList(at: i, in: tokens) {
                // "25 and 26 December", "24–26 December", "1st May".
                dates.formUnion(days.days.map { days.month * 100 + $0 })
                months.insert(days.month)
                i = days.end
            } else if let date = holiday(at: i, in: tokens) {
                dates.formUnion(date.dates)
                i += date.length - 1
            }
        }
    }

    /// The month named at token `i`; "may" only where a date or a word of time makes it one
    /// ("1 May", "mid-May", "until May", "April to May"), not in "May I bring my dog?".
    private func month(at i: Int, in tokens: [String]) -> Int? {
        guard let m = Self.months[tokens[i]] else { return nil }
        guard m == 5, tokens[i] == "may" else { return m }
        let before = tokens[..<i].last { $0 != "-" }, after = i + 1 < tokens.count ? tokens[i + 1] : nil
        if before.map({ Int($0) != nil || Self.beforeMay.contains($0) || Self.months[$0] != nil }) == true { return m }
        return after.flatMap { Int($0) } != nil ? m : nil
    }

    /// The end of a span that starts at token `i` ("to October", "– Fri", "until Sunday"), and its token.
    private func partner(after i: Int, in tokens: [String], _ named: (Int) -> Int?) -> (Int, Int)? {
        guard i + 2 < tokens.count, Self.spanWords.contains(tokens[i + 1]) || (tokens[i + 1] == "and" && i > 0 && tokens[i - 1] == "between"),
              let end = named(i + 2) else { return nil }
        return (i + 2, end)
    }

    /// Days of the month at token `i` followed by their month: their days, the month and the month's token.
    private func dayList(at i: Int, in tokens: [String]) -> (days: [Int], month: Int, end: Int)? {
        var days = [Int](), j = i, ranging = false
        while j < tokens.count {
            if let d = Int(tokens[j]), (1...31).contains(d) {
                if ranging, let from = days.last, from < d { days += Array(from + 1...d) } else { days.append(d) }
                ranging = false
            } else if tokens[j] == "-" || tokens[j] == "to" {
                ranging = true
            } else if tokens[j] != "and", tokens[j] != "," {
                break
            }
            j += 1
        }
        guard !days.isEmpty, j < tokens.count, let m = month(at: j, in: tokens) else { return nil }
        return (days, m, j)
    }

    /// A holiday with a fixed date at token `i`, and how many tokens name it.
    private func holiday(at i: Int, in tokens: [String]) -> (dates: Set<Int>, length: Int)? {
        let next = tokens[i...].prefix(4).joined(separator: " ")
        for (name, dates) in Self.holidays where next.hasPrefix(name) && (next.count == name.count || next.dropFirst(name.count).first == " ") {
            return (dates, name.split(separator: " ").count)
        }
        return nil
    }

    /// Lower-cased words and numbers, with dashes kept as "-" and ordinal endings dropped ("26th" → "26").
    private static func tokens(_ text: String) -> [String] {
        var out = [String](), word = ""
        func flush() {
            if !word.isEmpty { out.append(word.first!.isNumber ? String(word.prefix { $0.isNumber }) : word) }
            word = ""
        }
        for c in text.lowercased() {
            if c.isLetter || c.isNumber {
                if word.first?.isNumber == true, c.isLetter, !["s", "t", "n", "d", "r", "h"].contains(c) { flush() }
                word.append(c)
            } else {
                flush()
                if c == "-" || c == "–" || c == "—" { out.append("-") } else if c == "," { out.append(",") }
            }
        }
        flush()
        return out
    }

    /// `from` to `to` going round the cycle: November to February is 11, 12, 1, 2.
    private static func span(_ from: Int, _ to: Int, cycle: Int) -> Set<Int> {
        var out: Set<Int> = [from], x = from
        while x != to {
            x = x % cycle + 1
            out.insert(x)
        }
        return out
    }

    static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]

    private static let months: [String: Int] = {
        var out = [String: Int]()
        for (i, name) in monthNames.enumerated() {
            out[name] = i + 1
            // "mar" and "may" are words as well; "mar" names March only in writing such as "Mar–Oct".
            if name != "may" { out[String(name.prefix(3))] = i + 1 }
        }
        out["sept"] = 9
        return out
    }()

    private static let weekdays: [String: Int] = {
        let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        var out = [String: Int]()
        for (i, name) in names.enumerated() {
            out[name] = i + 1
            out[name + "s"] = i + 1
        }
        for (i, short) in ["mon", "tue", "wed", "thu", "fri"].enumerated() { out[short] = i + 1 }
        out["tues"] = 2
        out["thurs"] = 4
        return out
    }()

    /// Words that name several months or weekdays (northern seasons: the documents are British).
    private static let groups: [String: (months: Set<Int>, weekdays: Set<Int>)] = [
        "spring": ([3, 4, 5], []), "summer": ([6, 7, 8], []), "autumn": ([9, 10, 11], []), "winter": ([12, 1, 2], []),
        "weekend": ([], [6, 7]), "weekends": ([], [6, 7]), "weekday": ([], [1, 2, 3, 4, 5]), "weekdays": ([], [1, 2, 3, 4, 5]),
    ]

    private static let holidays: [(String, Set<Int>)] = [
        ("christmas eve", [1224]), ("christmas day", [1225]), ("boxing day", [1226]), ("christmas", [1224, 1225, 1226]),
        ("new year s eve", [1231]), ("new years eve", [1231]), ("new year s day", [101]), ("new years day", [101]),
    ]

    private static let spanWords: Set<String> = ["to", "-", "until", "till", "through", "thru"]
    private static let beforeMay: Set<String> = ["in", "mid", "early", "late", "until", "till", "to", "by", "from", "during", "since", "before", "after", "end", "start", "through"]
}
