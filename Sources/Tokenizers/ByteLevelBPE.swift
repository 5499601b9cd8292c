/// GPT-2 byte-level BPE: split the text into words (`PreTokenizer`), spell each word's bytes
/// with GPT-2's byte characters, and merge by rank. Every byte character is a token, so no
/// input is unrepresentable.
struct ByteLevelBPE: Sendable {
    let preTokenizer: PreTokenizer
    let merges: RankedBPE
    /// Token of each byte's character; -1 if the vocabulary lacks it (the byte is dropped,
    /// as llama.cpp does).
    let byteTokens: [Int32]
    /// Llama-3 (`ignore_merges`): a word that is itself a token is emitted whole, skipping
    /// the merges. Pieces are spelled in byte characters.
    let wholeWords: ByteStringTable?

    func encode(_ text: String, into out: inout [Int]) {
        let utf8 = Array(text.utf8)
        var scratch = RankedBPE.Scratch()
        var spelled = [UInt8]()
        for word in preTokenizer.split(text) {
            if let wholeWords {
                spelled.removeAll(keepingCapacity: true)
                for b in utf8[word] { spelled.append(contentsOf: ByteLevel.characters[Int(b)]) }
                if let id = wholeWords.value(spelled) {
                    out.append(id)
                    continue
                }
            }
            scratch.ids.removeAll(keepingCapacity: true)
            for b in utf8[word] { scratch.ids.append(byteTokens[Int(b)]) }
            merges.merge(&scratch)
            for id in scratch.ids where id >= 0 { out.append(Int(id)) }
        }
    }
}
