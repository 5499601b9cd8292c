import CKernels
import ModelFormats

public enum Dequantize {
    /// Converts `count` values (a whole number of blocks) of type `type` starting at `src` into floats.
    /// The per-type routines are in CKernels (ggml's block layouts, checked against gguf-py).
    @inline(__always)
    public static func row(_ type: GGMLType, _ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let status = lk_dequantize_row(type.rawValue, src, y, count)
        precondition(status == 0, "dequantise: unsupported type \(type)")
    }
}
