import Foundation

/// Word-level facts about an English sentence that question rules look for: numbers, money,
/// times and dates, places, names of people.
enum SentenceFacts {
    static let months: Set<String> = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                                      "october", "november", "december"]
    static let days: Set<String> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekday",
                                    "weekend", "weekdays", "weekends", "mondays", "tuesdays", "wednesdays", "thursdays", "fridays",
                                    "saturdays", "sundays", "daily", "weekly", "monthly", "annually", "yearly", "noon", "midnight",
                                    "morning", "evening", "afternoon", "spring", "summer", "autumn", "winter", "am", "pm", "a.m.",
                                    "p.m.", "o'clock", "tonight", "today", "tomorrow"]
    static let numberWords: Set<String> = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                                           "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "hundred", "thousand",
                                           "million", "dozen", "half"]
    static let currencies: Set<String> = ["euro", "euros", "dollar", "dollars", "pound", "pounds", "cent", "cents", "pence", "franc",
                                          "francs", "crown", "crowns", "krona", "kronor", "yen", "usd", "eur", "gbp"]
    /// Words that make a capitalised name an organisation or a place, not a person.
    static let nonPersonNames: Set<String> = ["robotics", "company", "corporation", "inc", "ltd", "group", "museum", "library", "park",
                                              "street", "road", "avenue", "lane", "square", "university", "college", "school", "hotel", "bank", "club",
                                              "society", "institute", "centre", "center", "hall", "bridge", "lake", "river", "island",
                                              "city", "town", "village", "foundation", "trust", "council", "games", "festival", "press",
                                              "labs", "systems", "industries", "works", "studio", "studios", "airlines", "railway",
                                              "station", "market", "tower", "gardens", "garden", "farm", "mill", "bay", "port", "mount",
                                              "valley", "harbour", "harbor", "house", "cafe", "café", "restaurant", "store", "shop",
                                              "clinic", "hospital", "gallery", "theatre", "theater", "academy", "plan", "policy", "pro",
                                              "max", "mini", "plus", "edition", "series", "model", "cup", "prize", "award", "day",
                                              "ferries", "ceramics", "appliances", "motors", "foods", "services", "partners", "holdings",
                                              "ventures", "brewing", "records", "media", "tours", "travel", "homes", "electronics", "energy"]
    /// Words that make a noun phrase a person's role, answered by a name: "Who is the ...?"
    static let roles: Set<String> = ["officer", "director", "ceo", "cfo", "cto", "founder", "founders", "co-founder", "manager",
                                     "president", "chair", "chairman", "chairwoman", "chairperson", "head", "mayor", "curator",
                                     "principal", "captain", "owner", "author", "chef", "designer", "inventor", "keeper", "warden",
                                     "dean", "leader", "coach", "pilot", "teacher", "engineer", "architect", "secretary", "treasurer",
                                     "minister", "governor", "librarian", "editor", "rector", "abbot", "conductor", "administrator",
                                     "supervisor", "contact", "spokesperson", "creator", "builder", "painter", "writer", "executive", "chief",
                                     "superintendent", "commander", "skipper", "steward", "organiser", "organizer", "partner"]

    /// What a unit measures, for the questions people ask about it ("How heavy", "How loud").
    enum Dimension { case weight, power, voltage, charge, volume, length, distance, speed, loudness, temperature, area }
    static let units: [String: Dimension] = [
        "kg": .weight, "g": .weight, "gram": .weight, "grams": .weight, "kilogram": .weight, "kilograms": .weight, "kilo": .weight,
        "kilos": .weight, "tonne": .weight, "tonnes": .weight, "lb": .weight, "lbs": .weight,
        "w": .power, "watt": .power, "watts": .power, "kw": .power, "kilowatt": .power, "kilowatts": .power,
        "v": .voltage, "volt": .voltage, "volts": .voltage,
        "ah": .charge, "mah": .charge, "wh": .charge, "kwh": .charge,
        "l": .volume, "litre": .volume, "litres": .volume, "liter": .volume, "liters": .volume, "ml": .volume,
        "millilitres": .volume, "gallon": .volume, "gallons": .volume,
        "mm": .length, "cm": .length, "m": .length, "metre": .length, "metres": .length, "meter": .length, "meters": .length,
        "inch": .length, "inches": .length, "foot": .length, "feet": .length,
        "km": .distance, "kilometres": .distance, "kilometers": .distance, "mile": .distance, "miles": .distance,
        "km/h": .speed, "mph": .speed, "rpm": .speed,
        "db": .loudness, "decibels": .loudness,
        "°c": .temperature, "°f": .temperature, "m²": .area, "m2": .area,
    ]

    /// "W", "Ah", "dB": a unit after a number, not a name, though capitalised.
    static func isUnit(_ word: String) -> Bool {
        let b = bare(word)
        return b.count <= 3 && units[b.lowercased()] != nil
    }

    static func bare(_ word: Substring) -> String {
        String(word.trimmingCharacters(in: CharacterSet(charactersIn: ",.;:!?()\"'“”‘’")))
    }

    static func bare(_ word: String) -> String { bare(Substring(word)) }

    static func isNumber(_ word: String) -> Bool {
        let w = bare(word).lowercased()
        if let first = w.first, first.isNumber || ((first == "$" || first == "€" || first == "£") && w.dropFirst().first?.isNumber == true) {
            return true
        }
        // "thirty-eight"
        return numberWords.contains(w) || (w.contains("-") && w.split(separator: "-").allSatisfy { numberWords.contains(String($0)) })
    }

    static func hasMoney(_ words: [String]) -> Bool {
        words.contains { w in
            let b = bare(w).lowercased()
            return b.hasPrefix("$") || b.hasPrefix("€") || b.hasPrefix("£") || currencies.contains(b)
        }
    }

    static func isYear(_ word: String) -> Bool {
        let b = bare(word)
        guard b.count == 4, let n = Int(b) else { return b.count == 5 && b.hasSuffix("s") && Int(b.dropLast()).map { (1000...2199).contains($0) } == true }
        return (1000...2199).contains(n)
    }

    static func isTime(_ word: String) -> Bool {
        let b = bare(word).lowercased()
        if days.contains(b) || months.contains(b) || isYear(b) { return true }
        // 9:30, 9am, 10pm
        if b.first?.isNumber == true, b.contains(":") || b.hasSuffix("am") || b.hasSuffix("pm") { return true }
        return false
    }

    static func hasTime(_ words: [String]) -> Bool { words.contains(where: isTime) }

    static func isCapitalised(_ word: String) -> Bool { bare(word).first?.isUppercase == true }

    /// Two to four capitalised words, none of them an organisation's or place's: "Dagny Achterberg".
    static func isPersonName(_ phrase: String) -> Bool {
        let words = phrase.split(separator: " ").map { bare($0) }
        guard (2...4).contains(words.count), words.allSatisfy({ isCapitalised($0) && !$0.contains(where: \.isNumber) }) else { return false }
        return !words.contains { nonPersonNames.contains($0.lowercased()) || ["The", "A", "An", "All", "Every", "Our", "Its"].contains($0) }
    }

    static func hasRole(_ phrase: String) -> Bool {
        phrase.lowercased().split(separator: " ").contains { roles.contains(bare($0)) }
    }
}
