/// The parts of a SentencePiece `tokenizer.model` (ModelProto in sentencepiece_model.proto)
/// that tokenizing needs, read straight from the protobuf wire format.
struct SentencePieceModel {
    struct Piece {
        var text = ""
        var score: Float = 0
        var type = TokenType.normal
    }

    enum ModelType: Int { case unigram = 1, bpe = 2, word = 3, char = 4 }

    var pieces: [Piece] = []
    // TrainerSpec fields, with the proto's defaults.
    var modelType = ModelType.unigram
    var unknownID = 0
    var bosID = 1
    var eosID = 2
    // NormalizerSpec.add_dummy_prefix: the "▁" put before the text.
    var addDummyPrefix = true

    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        func parse<T>(_ b: UnsafeRawBufferPointer, _ what: String, into value: inout T,
                      _ field: (inout ProtoReader, Int, inout T) throws -> Void) throws {
            var r = ProtoReader(bytes: b)
            do {
                while let f = try r.nextField() { try field(&r, f, &value) }
            } catch let e as ProtoReader.Failure {
                throw TokenizerError.malformed(path: path, detail: "\(what): \(e.reason) at byte \(e.offset)")
            }
        }
        var model = self
        try parse(bytes, "ModelProto", into: &model) { r, field, m in
            switch field {
            case 1:
                var piece = Piece()
                try parse(try r.lengthDelimited(), "piece #\(m.pieces.count)", into: &piece) { r, field, p in
                    switch field {
                    case 1: p.text = String(decoding: try r.lengthDelimited(), as: UTF8.self)
                    case 2: p.score = Float(bitPattern: try r.fixed32())
                    case 3:
                        let t = try r.uint()
                        p.type = TokenType(rawValue: Int(truncatingIfNeeded: t)) ?? .normal
                    default: try r.skip()
                    }
                }
                m.pieces.append(piece)
            case 2:
                try parse(try r.lengthDelimited(), "TrainerSpec", into: &m) { r, field, m in
                    switch field {
                    case 3:
                        let t = Int(truncatingIfNeeded: try r.uint())
                        guard let type = ModelType(rawValue: t) else { throw ProtoReader.Failure(offset: r.offset, reason: "unknown model_type \(t)") }
                        m.modelType = type
                    case 40: m.unknownID = try r.int32()
                    case 41: m.bosID = try r.int32()
                    case 42: m.eosID = try r.int32()
                    default: try r.skip()
                    }
                }
            case 3:
                try parse(try r.lengthDelimited(), "NormalizerSpec", into: &m) { r, field, m in
                    if field == 3 { m.addDummyPrefix = try r.uint() != 0 } else { try r.skip() }
                }
            default: try r.skip()
            }
        }
        self = model
    }
}

/// Protobuf wire-format reader: varints, fixed-width and length-delimited fields.
struct ProtoReader {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private var wireType = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next field's number, or nil at the end; read or `skip()` its value next.
    mutating func nextField() throws(Failure) -> Int? {
        guard offset < bytes.count else { return nil }
        let key = try readVarint()
        wireType = Int(key & 7)
        guard key >> 3 > 0 else { throw Failure(offset: offset, reason: "field number 0") }
        return Int(truncatingIfNeeded: key >> 3)
    }

    /// A varint field's value.
    mutating func uint() throws(Failure) -> UInt64 {
        guard wireType == 0 else { throw Failure(offset: offset, reason: "expected a varint field, found wire type \(wireType)") }
        return try readVarint()
    }

    private mutating func readVarint() throws(Failure) -> UInt64 {
        var v: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard offset < bytes.count else { throw Failure(offset: offset, reason: "truncated varint") }
            let b = bytes[offset]
            offset += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
        }
        throw Failure(offset: offset, reason: "varint longer than 10 bytes")
    }

    /// An int32 field: negative values are sign-extended 10-byte varints.
    mutating func int32() throws(Failure) -> Int { Int(Int32(truncatingIfNeeded: try uint())) }

    mutating func fixed32() throws(Failure) -> UInt32 {
        guard wireType == 5 else { throw Failure(offset: offset, reason: "expected a fixed32 field, found wire type \(wireType)") }
        let b = try take(4)
        return UInt32(littleEndian: b.loadUnaligned(as: UInt32.self))
    }

    mutating func lengthDelimited() throws(Failure) -> UnsafeRawBufferPointer {
        guard wireType == 2 else { throw Failure(offset: offset, reason: "expected a length-delimited field, found wire type \(wireType)") }
        let n = try readVarint()
        guard n <= UInt64(bytes.count - offset) else { throw Failure(offset: offset, reason: "length \(n) runs past the end") }
        return try take(Int(n))
    }

    mutating func skip() throws(Failure) {
        switch wireType {
        case 0: _ = try readVarint()
        case 1: _ = try take(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try take(4)
        default: throw Failure(offset: offset, reason: "unsupported wire type \(wireType)")
        }
    }

    private mutating func take(_ n: Int) throws(Failure) -> UnsafeRawBufferPointer {
        guard n <= bytes.count - offset else { throw Failure(offset: offset, reason: "truncated field") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }
}
