import Testing
@testable import Retrieval

struct AnswerSupportTests {
    static let workforce = [PassageIndex.Passage("Under his management the company has grown to 27 employees, including six throwers.",
                                                 heading: "People", title: "Harrowby Kiln Works")]

    /// Answers the fourth unseen set's adapters gave beside the sentence that held the answer.
    @Test func answersStatingAnotherNumberOrOtherWordsAreNotSupported() {
        let question = "How big is the workforce?"
        #expect(AnswerSupport.holds("The company has grown to 27 employees.", passages: Self.workforce, question: question))
        // The title's words may name the subject.
        #expect(AnswerSupport.holds("Harrowby Kiln Works has 27 employees.", passages: Self.workforce, question: question))
        #expect(!AnswerSupport.holds("The company now employs 32 employees, including six throwers.", passages: Self.workforce, question: question))
        #expect(!AnswerSupport.holds("Agnes Threlfall retired and handed the business to her nephew.", passages: Self.workforce, question: question))
        #expect(!AnswerSupport.holds("No.", passages: Self.workforce, question: question))
        #expect(!AnswerSupport.holds("", passages: Self.workforce, question: question))
    }

    @Test func numbersOfTheQuestionAndWrittenWithSeparatorsCount() {
        let fee = [PassageIndex.Passage("Tools are lent for a fee of £1,200 a year to groups of up to 12 people.")]
        #expect(AnswerSupport.holds("Groups pay £1200 a year.", passages: fee, question: "What do groups pay?"))
        #expect(AnswerSupport.holds("A group of 8 pays £1,200 a year.", passages: fee, question: "What does a group of 8 pay?"))
        #expect(!AnswerSupport.holds("A group of 8 pays £1,200 a year.", passages: fee, question: "What does a group pay?"))
        // The question's words are no source: an echo of the question says nothing.
        #expect(!AnswerSupport.holds("When do the members vote?", passages: fee, question: "When do the members vote?"))
        // Seven of ten terms are the passage's: the least share that holds.
        let seven = "fee 1200 year group 12 people lent elephant giraffe zebra"
        #expect(PassageIndex.terms(seven).count == 10 && AnswerSupport.holds(seven, passages: fee, question: "?"))
        #expect(!AnswerSupport.holds(seven + " lion", passages: fee, question: "?"))
    }

    /// An answer made of the question's words that its passage shares says nothing of the passage
    /// (a sixth unseen set's adapter, beside "Red light flashing: the boiler is empty.").
    @Test func anAnswerThatOnlyEchoesTheQuestionIsNotSupported() {
        let light = [PassageIndex.Passage("Red light flashing: the boiler is empty.")]
        let question = "The red light keeps flashing. What's wrong?"
        #expect(!AnswerSupport.holds("The red light keeps flashing.", passages: light, question: question))
        #expect(AnswerSupport.holds("The red light is flashing because the boiler is empty.", passages: light, question: question))
    }

    /// A question that asks for a kind of fact the sentence states wants that fact in the answer.
    @Test func theKindOfFactAskedForMustBeStated() {
        let maker = [PassageIndex.Passage("It is rated at 650 W on a 230 V supply, weighs 5.8 kg, and measures 36 × 24 × 31 cm.")]
        #expect(!AnswerSupport.holds("The unit measures 36 × 24 × 31 cm.", passages: maker, question: "How heavy is it?"))
        #expect(AnswerSupport.holds("It weighs 5.8 kg.", passages: maker, question: "How heavy is it?"))
        #expect(AnswerSupport.holds("The unit measures 36 × 24 × 31 cm.", passages: maker, question: "What size is it?"))
    }

    /// On by default where it was measured: SmolLM2-135M's weights (`LlamaConfig.parameterCount`:
    /// 134,479,872), not a 7B's (6,607,077,376).
    @Test func checkedByDefaultOnSmallModelsOnly() {
        #expect(AnswerSupport.checksByDefault(parameterCount: 134_479_872))
        #expect(!AnswerSupport.checksByDefault(parameterCount: 6_607_077_376))
    }
}
