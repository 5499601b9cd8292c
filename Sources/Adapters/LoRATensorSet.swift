import Llama
import ModelFormats
import TensorKernels

/// The A and B tensors of an adapter file by layer and projection, as a reader finds them;
/// `pairs` checks them against the model and turns them into floats. Both formats store A as
/// rank × inputs and B as outputs × rank, so the views' ggml shapes are [inputs, rank] and
/// [rank, outputs] in either.
struct LoRATensorSet {
    enum Matrix { case a, b }

    struct Module: Hashable, Comparable {
        let layer: Int
        let projection: Projection

        static func < (x: Module, y: Module) -> Bool {
            (x.layer, Projection.allCases.firstIndex(of: x.projection)!) < (y.layer, Projection.allCases.firstIndex(of: y.projection)!)
        }
    }

    let path: String
    let config: LlamaConfig
    /// The file's name for a tensor (the only spelling `parse` accepts).
    let name: (Module, Matrix) -> String
    private var found: [Module: (a: TensorView?, b: TensorView?)] = [:]

    init(path: String, config: LlamaConfig, name: @escaping (Module, Matrix) -> String) {
        self.path = path
        self.config = config
        self.name = name
    }

    /// The module and matrix a tensor name stands for; nil for anything that is not a LoRA
    /// matrix of an attention or MLP projection.
    func parse(_ tensor: String) -> (Module, Matrix)? {
        guard let layer = tensor.split(separator: ".").lazy.compactMap({ Int($0) }).first else { return nil }
        for p in Projection.allCases {
            for m in [Matrix.a, .b] where name(Module(layer: layer, projection: p), m) == tensor {
                return (Module(layer: layer, projection: p), m)
            }
        }
        return nil
    }

    mutating func add(_ tensor: TensorView) throws(AdapterError) {
        guard let (module, matrix) = parse(tensor.name) else {
            throw .unexpectedTensor(path: path, tensor: tensor.name, reason: "not a LoRA A or B matrix of a llama attention or MLP projection")
        }
        guard module.layer < config.layerCount else {
            throw .layerOutOfRange(path: path, tensor: tensor.name, layer: module.layer, layerCount: config.layerCount)
        }
        var entry = found[module] ?? (nil, nil)
        if matrix == .a { entry.a = tensor } else { entry.b = tensor }
        found[module] = entry
    }

    /// Checks and converts every pair. `declaredRank` is the file's own rank (PEFT's `r`); without
    /// one, the first A sets the rank every pair must share. `targets` are the modules the file's
    /// configuration adapts; without them, the modules found are. GGUF files keep B's q/k rows in
    /// the RoPE order of GGUF bases (`bRowsInGGUFOrder`): they come back in Hugging Face order.
    func pairs(declaredRank: Int?, targets: Set<Module>?, bRowsInGGUFOrder: Bool) throws(AdapterError)
        -> (rank: Int, layers: [[Projection: LoRAAdapter.Pair]]) {
        if let targets, let stray = found.keys.sorted().first(where: { !targets.contains($0) }) {
            throw .unexpectedTensor(path: path, tensor: name(stray, found[stray]!.a == nil ? .b : .a),
                                    reason: "layer \(stray.layer) \(stray.projection.rawValue) is not among the configuration's targets")
        }
        var rank = declaredRank
        var layers = [[Projection: LoRAAdapter.Pair]](repeating: [:], count: config.layerCount)
        for module in (targets.map(Array.init) ?? Array(found.keys)).sorted() {
            guard let a = found[module]?.a else { throw .missingTensor(path: path, tensor: name(module, .a)) }
            guard let b = found[module]?.b else { throw .missingTensor(path: path, tensor: name(module, .b)) }
            let (outputs, inputs) = module.projection.shape(config)
            let r = rank ?? a.shape.last!
            rank = r
            try check(a, rows: r, cols: inputs, rankIsRows: true)
            try check(b, rows: outputs, cols: r, rankIsRows: false)
            var bValues = try floats(b)
            if bRowsInGGUFOrder, module.projection == .q || module.projection == .k {
                bValues = RopeRowPermutation.toHuggingFace(bValues, cols: r, headDim: config.headDim)
            }
            layers[module.layer][module.projection] = LoRAAdapter.Pair(a: try floats(a), b: bValues)
        }
        guard let rank else { throw .notAnAdapter(path: path, reason: "it holds no LoRA tensors") }
        return (rank, layers)
    }

    /// A wrong rank dimension is a rank mismatch, a wrong other one a different base model.
    private func check(_ t: TensorView, rows: Int, cols: Int, rankIsRows: Bool) throws(AdapterError) {
        let found = Array(t.shape.reversed())
        guard found.count == 2 else { throw .shapeMismatch(path: path, tensor: t.name, expected: [rows, cols], found: found) }
        let (rankFound, rankExpected) = rankIsRows ? (found[0], rows) : (found[1], cols)
        guard rankFound == rankExpected else { throw .rankMismatch(path: path, tensor: t.name, expected: rankExpected, found: rankFound) }
        guard found == [rows, cols] else { throw .shapeMismatch(path: path, tensor: t.name, expected: [rows, cols], found: found) }
    }

    private func floats(_ t: TensorView) throws(AdapterError) -> [Float] {
        // What llama.cpp's converter writes (--outtype f32, f16, bf16, q8_0) and PEFT saves.
        guard [.f32, .f16, .bf16, .q8_0].contains(t.type) else {
            throw .unsupportedTensorType(path: path, tensor: t.name, type: t.type.description)
        }
        let n = t.elementCount
        let values = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            Dequantize.row(t.type, t.data, buffer.baseAddress!, count: n)
            count = n
        }
        guard values.allSatisfy(\.isFinite) else { throw .nonFinite(path: path, tensor: t.name) }
        return values
    }
}

extension AdapterError {
    /// An error of a ModelFormats reader as an adapter error.
    init(reading error: any Error, path: String) {
        switch error {
        case let ModelFormatError.unsupportedTensorType(file, tensor, type): self = .unsupportedTensorType(path: file, tensor: tensor, type: type)
        case let e as ModelFormatError: self = .unreadable(e)
        default: self = .unreadable(.malformed(path: path, detail: "\(error)"))
        }
    }

    /// Runs a ModelFormats reader, reporting its errors as adapter errors.
    static func reading<T>(_ path: String, _ body: () throws -> T) throws(AdapterError) -> T {
        do { return try body() } catch { throw AdapterError(reading: error, path: path) }
    }
}
