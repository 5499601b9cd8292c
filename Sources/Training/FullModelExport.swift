import Llama
import ModelFormats

/// The stored type of a fully fine-tuned model's matrices; norms stay float32, as llama.cpp
/// keeps them.
public enum ModelOutputType: String, Codable, Sendable, CaseIterable {
    /// Float16: the trained weights to float16 rounding, twice the size of Q8_0.
    case f16
    /// 8-bit blocks of 32 with a float16 scale: half the size, a little more rounding.
    case q8_0

    var ggmlType: GGMLType { self == .f16 ? .f16 : .q8_0 }

    /// What a tensor of `rows` × `cols` is stored as: norms (one row), and Q8_0 rows that are
    /// not whole blocks, in float32.
    func storedType(rows: Int, cols: Int) -> GGMLType {
        rows == 1 || self == .q8_0 && cols % 32 != 0 ? .f32 : ggmlType
    }
    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_MOSTLY_F16, LLAMA_FTYPE_MOSTLY_Q8_0).
    var fileType: UInt32 { self == .f16 ? 1 : 7 }
}

extension Trainer {
    /// The fully fine-tuned model as a GGUF file: the base file's metadata (tokenizer and chat
    /// template included) and its tensors in its order, every trained one from this trainer in
    /// `type`, anything else (rope_freqs) copied as it is.
    public func modelFile(type: ModelOutputType, base: GGUFFile) throws -> GGUFWriter {
        guard let full else { throw TrainingError.invalidConfiguration("only full fine-tuning writes a model file") }
        var writer = GGUFWriter(alignment: base.alignment)
        for key in base.metadataKeys { writer.set(key, base.metadata[key]!) }
        writer.set("general.file_type", .uint32(type.fileType))
        let trained = Dictionary(uniqueKeysWithValues: full.tensors.map { ($0.name, $0) })
        for info in base.tensors {
            guard let t = trained[info.name] else {
                let view = try base.tensor(info.name)
                writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: Array(UnsafeRawBufferPointer(start: view.data, count: view.byteCount)))
                continue
            }
            let stored = type.storedType(rows: t.rows, cols: t.cols)
            let values = UnsafeBufferPointer(start: full.values + t.offset, count: t.rows * t.cols)
            writer.addTensor(name: info.name, type: stored, shape: t.rows == 1 ? [t.cols] : [t.cols, t.rows], bytes: Quantize.bytes(values, as: stored))
        }
        return writer
    }
}
