/// GGUF metadata value type ids, as in the GGUF specification.
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5
    case float32 = 6, bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12
}

/// One metadata value. Integer and float accessors accept every width, because writers
/// disagree about which width they use for the same key.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// Element type and elements (arrays of arrays have element type `.array`).
    case array(GGUFValueType, [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    public var intValue: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: intValue.map(Double.init)
        }
    }

    public var boolValue: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    public var stringValue: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    public var arrayValue: [GGUFValue]? {
        if case let .array(_, v) = self { return v }
        return nil
    }

    public var stringArray: [String]? {
        guard let a = arrayValue else { return nil }
        var out = [String]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let s = v.stringValue else { return nil }
            out.append(s)
        }
        return out
    }

    public var floatArray: [Float]? {
        guard let a = arrayValue else { return nil }
        var out = [Float]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let d = v.doubleValue else { return nil }
            out.append(Float(d))
        }
        return out
    }

    public var intArray: [Int]? {
        guard let a = arrayValue else { return nil }
        var out = [Int]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let i = v.intValue else { return nil }
            out.append(i)
        }
        return out
    }
}
