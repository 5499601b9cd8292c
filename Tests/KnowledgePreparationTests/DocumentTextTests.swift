import Testing
@testable import KnowledgePreparation

struct DocumentTextTests {
    @Test func splitsMarkdownIntoHeadedParagraphsOfSentences() {
        let doc = DocumentText(parsing: """
        # Ashgrove *Observatory*

        It was opened in 1911 by Dr. Helena Voskuijlen. The lens is 61.5 cm across! Visit us at [our site](https://x.org) today.

        ## Prices
        - Adults pay 14 pounds.
        - Children pay 7 pounds
        | Seats | 90 |
        """)
        #expect(doc.title == "Ashgrove Observatory")
        #expect(doc.paragraphs.map(\.sentences) == [
            ["It was opened in 1911 by Dr. Helena Voskuijlen.", "The lens is 61.5 cm across!", "Visit us at our site today."],
            ["Adults pay 14 pounds."], ["Children pay 7 pounds"], ["Seats: 90"],
        ])
        #expect(doc.paragraphs.map(\.heading) == ["Ashgrove Observatory", "Prices", "Prices", "Prices"])
    }

    @Test func keepsInitialsAndAbbreviationsInsideSentences() {
        #expect(DocumentText.sentences(in: "J. R. Smith met Mrs. Lee, e.g. at noon. Then they left.")
            == ["J. R. Smith met Mrs. Lee, e.g. at noon.", "Then they left."])
    }
}
