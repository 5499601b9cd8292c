/// Hugging Face's BPE over "▁"-escaped text (Llama/Mistral `tokenizer.json` without a
/// `tokenizer.model`): characters are symbols, merged by rank; characters that are not
/// tokens become byte tokens `<0xXX>` (`byte_fallback`) or one unknown token. The caller has
/// already escaped spaces and added the space prefix.
struct MetaspaceBPE: Sendable {
    let merges: RankedBPE
    let characters: ByteStringTable
    /// `<0xXX>` token of each byte value (-1 if missing) when `byte_fallback` is on.
    let byteTokens: [Int32]?
    let unknownID: Int?
    /// `Metaspace(split: true)`: every "▁" starts a new word, so no token spans two.
    let splitAtSpaces: Bool

    func encode(_ text: [UInt8], into out: inout [Int]) {
        var scratch = RankedBPE.Scratch()
        var charStarts = [Int]()
        var wordStart = 0
        text.withUnsafeBufferPointer { bytes in
            func flush(upTo end: Int) {
                guard end > wordStart else { return }
                charStarts.removeAll(keepingCapacity: true)
                scratch.ids.removeAll(keepingCapacity: true)
                var i = wordStart
                while i < end {
                    let n = min(UTF8.length(leadByte: bytes[i]), end - i)
                    charStarts.append(i)
                    scratch.ids.append(Int32(characters.value(UnsafeBufferPointer(rebasing: bytes[i..<i + n])) ?? -1))
                    i += n
                }
                charStarts.append(end)
                merges.merge(&scratch)
                for (id, origin) in zip(scratch.ids, scratch.origins) {
                    if id >= 0 {
                        out.append(Int(id))
                    } else { // an unknown character never merges: origin is its index
                        let char = bytes[charStarts[Int(origin)]..<charStarts[Int(origin) + 1]]
                        if let byteTokens, char.allSatisfy({ byteTokens[Int($0)] >= 0 }) {
                            for b in char { out.append(Int(byteTokens[Int(b)])) }
                        } else if let unknownID {
                            out.append(unknownID)
                        }
                    }
                }
                wordStart = end
            }
            if splitAtSpaces {
                var i = 0
                while i + 2 < bytes.count {
                    if bytes[i] == 0xE2, bytes[i + 1] == 0x96, bytes[i + 2] == 0x81 { flush(upTo: i) }
                    i += 1
                }
            }
            flush(upTo: bytes.count)
        }
    }
}

extension UTF8 {
    /// Byte length of the sequence a lead byte starts (1 for stray continuation bytes).
    static func length(leadByte b: UInt8) -> Int {
        switch b {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
