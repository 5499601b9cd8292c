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

    /// A lower-case list item reads alone completed by the sentence that leads into the list;
    /// capitalised items, and lists after a heading or a sentence without a colon, stay as written.
    @Test func listItemsReadAloneAfterTheirLead() {
        let doc = DocumentText(parsing: """
        # Kettlewick

        Services to members include:

        - controlled-atmosphere storage for up to 9,000 tonnes;
        - bulk buying of netting, and
        - Free advice.

        ## Sites
        - a packhouse at Stane Cross
        """)
        #expect(doc.paragraphs.map(\.lead) == [nil, "Services to members include:", "Services to members include:", "Services to members include:", nil])
        #expect(doc.statements == ["Services to members include:", "Services to members include controlled-atmosphere storage for up to 9,000 tonnes.",
                                   "Services to members include bulk buying of netting.", "Free advice.", "a packhouse at Stane Cross"])
        #expect(doc.sentences[1] == "controlled-atmosphere storage for up to 9,000 tonnes;")
    }

    @Test func keepsInitialsAndAbbreviationsInsideSentences() {
        #expect(DocumentText.sentences(in: "J. R. Smith met Mrs. Lee, e.g. at noon. Then they left.")
            == ["J. R. Smith met Mrs. Lee, e.g. at noon.", "Then they left."])
    }
}
