import Training

/// Plain-text training windows over a stream of documents.
enum TextWindows {
    /// Windows of `length` tokens, each starting `length - overlap` tokens after the one
    /// before; the last one is moved back to end where the stream ends, so every window is
    /// full when the stream is long enough. Each token is in the loss once, in the first
    /// window that predicts it with context: the tokens a window shares with earlier ones
    /// are context only, which also keeps a held-out window's targets out of training.
    /// With no overlap, a window's first token has no context and is never predicted.
    static func examples(stream: [Int], length: Int, overlap: Int) -> [TrainingExample] {
        guard !stream.isEmpty else { return [] }
        var out = [TrainingExample]()
        var next = 0
        var predicted = 0 // stream[..<predicted] is in the loss of earlier windows, or never will be
        while predicted < stream.count {
            let start = min(next, max(0, stream.count - length)), end = min(start + length, stream.count)
            out.append(TrainingExample(tokens: Array(stream[start..<end]), lossMask: (start..<end).map { $0 > start && $0 >= predicted }))
            predicted = end
            next += length - overlap
        }
        return out
    }
}
