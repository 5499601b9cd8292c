/// Exact byte-string → id map with allocation-free lookups of buffer slices.
/// Swift `String` keys would compare by canonical equivalence and merge distinct tokens
/// such as "é" and "e\u{301}"; vocabularies need byte identity.
struct ByteStringTable: Sendable {
    private let keyBytes: [UInt8]
    private let keyStarts: [Int]   // key i is keyBytes[keyStarts[i] ..< keyStarts[i + 1]]
    private let values: [Int32]
    private let slots: [Int32]     // open addressing; -1 = empty, else key index
    private let mask: Int

    /// On duplicate keys the later entry wins, as in llama.cpp's `token_to_id`.
    init<S: Sequence>(_ entries: S) where S.Element == (key: [UInt8], value: Int) {
        var bytes = [UInt8](), starts = [0], vals = [Int32]()
        for (k, v) in entries {
            bytes.append(contentsOf: k)
            starts.append(bytes.count)
            vals.append(Int32(v))
        }
        var capacity = 16
        while capacity < vals.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        bytes.withUnsafeBufferPointer { all in
            for i in 0..<vals.count {
                let key = UnsafeBufferPointer(rebasing: all[starts[i]..<starts[i + 1]])
                var s = Self.hash(key) & (capacity - 1)
                while slots[s] >= 0 {
                    let j = Int(slots[s])
                    if all[starts[j]..<starts[j + 1]].elementsEqual(key) { break }
                    s = (s + 1) & (capacity - 1)
                }
                slots[s] = Int32(i)
            }
        }
        keyBytes = bytes
        keyStarts = starts
        values = vals
        self.slots = slots
        mask = capacity - 1
    }

    func value(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        keyBytes.withUnsafeBufferPointer { all in
            var s = Self.hash(key) & mask
            while true {
                let j = Int(slots[s])
                if j < 0 { return nil }
                let a = keyStarts[j], n = keyStarts[j + 1] - a
                if n == key.count {
                    var k = 0
                    while k < n, all[a + k] == key[k] { k += 1 }
                    if k == n { return Int(values[j]) }
                }
                s = (s + 1) & mask
            }
        }
    }

    func value(_ key: [UInt8]) -> Int? { key.withUnsafeBufferPointer { value($0) } }
    func value(_ key: String) -> Int? { value(Array(key.utf8)) }

    // FNV-1a, 64-bit.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
