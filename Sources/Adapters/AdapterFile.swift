import Foundation
import Llama
import ModelFormats

/// Reading and writing LoRA adapters in either file format, checked against the base model.
public enum AdapterFile {
    public enum Format: String, CaseIterable, Sendable {
        /// A Hugging Face PEFT folder (`adapter_config.json`, `adapter_model.safetensors`).
        case peft
        /// A llama.cpp GGUF adapter file.
        case gguf
    }

    /// Loads the adapter at `path`: a PEFT folder (or its `adapter_config.json` or
    /// `adapter_model.safetensors`), or a GGUF adapter file. Everything is checked against
    /// `config`; any problem is an `AdapterError` naming the file.
    public static func load(path: String, config: LlamaConfig) throws(AdapterError) -> AdapterWeights {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, hint: "no such file or folder")
        }
        let name = (path as NSString).lastPathComponent
        if isDirectory.boolValue { return try PEFTAdapter.read(folder: path, config: config) }
        if name == PEFTAdapter.configFile || name.hasSuffix(".safetensors") {
            let folder = (path as NSString).deletingLastPathComponent
            return try PEFTAdapter.read(folder: folder.isEmpty ? "." : folder, config: config)
        }
        let gguf: GGUFFile
        do { gguf = try GGUFFile(path: path) } catch ModelFormatError.badMagic {
            throw .notAnAdapter(path: path, reason: "neither a PEFT folder (\(PEFTAdapter.configFile), \(PEFTAdapter.weightsFile)) nor a GGUF file")
        } catch {
            throw AdapterError(reading: error, path: path)
        }
        return try GGUFAdapter.read(gguf, config: config)
    }

    /// Writes `adapter` atomically: a PEFT folder (an adapter folder already there is replaced
    /// whole) or a GGUF file. The adapter must fit `config`, whose head size fixes GGUF's q/k row order.
    /// `extraFiles` (name → contents) go into a PEFT folder with the adapter, in the same rename.
    public static func write(_ adapter: AdapterWeights, format: Format, to path: String, config: LlamaConfig,
                             extraFiles: [String: [UInt8]] = [:]) throws(AdapterError) {
        guard !adapter.targets.isEmpty else { throw .cannotWrite(path: path, reason: "the adapter adapts no projection") }
        guard extraFiles.isEmpty || format == .peft else { throw .cannotWrite(path: path, reason: "only a PEFT folder holds extra files") }
        do { _ = try adapter.runtime(id: path, config: config) } catch {
            throw .cannotWrite(path: path, reason: error.description)
        }
        switch format {
        case .peft: try PEFTAdapter.write(adapter, to: path, extraFiles: extraFiles)
        case .gguf: try GGUFAdapter.write(adapter, to: path, config: config)
        }
    }
}
