/// Finds OpenAI `stop` strings in streamed text without ever emitting any part of a stop.
///
/// Text goes in chunk by chunk (one decoded token at a time); what comes out is everything that can no longer be
/// the start of a stop string. Generation stops as soon as the text received so far contains a stop; the output ends
/// right before the earliest-starting occurrence, and the stop itself is never emitted.
///
/// Matching is exact on Unicode scalars (code points), like Python's `str.find` in vLLM: no normalisation, and a
/// stop may match inside a grapheme cluster (stop "e" matches the "e" of "e\u{301}"). Scalars, unlike Characters,
/// are stable under concatenation, so the result never depends on where chunks were cut, except that a stop
/// found in the text so far ends generation before a longer stop starting earlier could complete.
public struct StopSequenceMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    /// Received but not yet emitted: the shortest tail of the text in which a stop could still start.
    private var pending: [Unicode.Scalar] = []
    private var stopped = false

    /// Empty stop strings are ignored (they would match everywhere).
    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
    }

    /// Takes the next chunk. Returns the text now safe to emit, and whether a stop string was found; after that,
    /// every further call returns ("", true).
    public mutating func append(_ text: String) -> (emit: String, stopped: Bool) {
        if stopped { return ("", true) }
        pending.append(contentsOf: text.unicodeScalars)
        // Every start before `pending` was ruled out earlier, so the first full match found here is the earliest.
        var held = pending.count
        for start in pending.indices {
            for stop in stops {
                let available = min(stop.count, pending.count - start)
                guard pending[start..<(start + available)].elementsEqual(stop[..<available]) else { continue }
                if available == stop.count {
                    stopped = true
                    return (release(upTo: start), true)
                }
                held = min(held, start)
            }
        }
        return (release(upTo: held), false)
    }

    /// Generation ended for another reason: everything still held back is safe to emit.
    public mutating func finish() -> String {
        stopped ? "" : release(upTo: pending.count)
    }

    /// Removes `pending[..<end]` and returns it as text; after a stop, drops the rest.
    private mutating func release(upTo end: Int) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: pending[..<end])
        pending.removeFirst(stopped ? pending.count : end)
        return text
    }
}
