// swift-tools-version: 6.1
import PackageDescription

// Release builds target AVX2/FMA/F16C: baseline x86-64 code runs the SIMD kernels ~25x slower.
// These flags are x86-64's, so the package builds for Linux on x86-64 only (no macOS platform claim).
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
]

let package = Package(
    name: "Lorekeeper",
    products: [
        .executable(name: "lorekeeper", targets: ["LorekeeperCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Model files: GGUF and safetensors readers/writers, tensor type layouts, file digests.
        .target(name: "ModelFormats", dependencies: ["CCrypto"], swiftSettings: fast),
        // Numeric kernels: quantised blocks, dot products, matrix products, norms, RoPE, attention.
        .target(name: "TensorKernels", dependencies: ["ModelFormats", "CBLAS", "CKernels"], swiftSettings: fast),
        // Quantised-block loops in C: Swift's SIMD integer-to-float conversions run scalar (measured 10x slower).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c"])]),
        // Text <-> token ids: SentencePiece and byte-level BPE, chat templates, streaming decode.
        .target(name: "Tokenizers", dependencies: ["ModelFormats"], swiftSettings: fast),
        // The llama-architecture transformer: configuration, weights, forward pass, KV cache.
        .target(name: "Llama", dependencies: ["ModelFormats", "TensorKernels", "CBLAS"], swiftSettings: fast),
        // LoRA adapter files: PEFT folders and llama.cpp GGUF adapters, read, checked and written.
        .target(name: "Adapters", dependencies: ["ModelFormats", "Llama", "TensorKernels", "Retrieval"], swiftSettings: fast),
        // LoRA training on CPU: per-op forward/backward through the frozen model, AdamW, the Trainer.
        .target(name: "Training", dependencies: ["Llama", "TensorKernels", "Adapters", "ModelFormats", "CBLAS"], swiftSettings: fast),
        // Choosing the next token from logits.
        .target(name: "Sampling", dependencies: ["TensorKernels"], swiftSettings: fast),
        // Model + tokenizer + sampler: loading a model file or folder and generating text.
        .target(name: "Inference", dependencies: ["ModelFormats", "Tokenizers", "Llama", "Sampling", "TensorKernels"], swiftSettings: fast),
        // Continuous batching of many completions over one model, with KV-cache prefix reuse.
        .target(name: "Scheduling", dependencies: ["Inference", "Llama"], swiftSettings: fast),
        // The OpenAI-compatible HTTP API (Hummingbird): route controllers, wire types, errors, the
        // connection handler (disconnects, protocol errors, timeouts), Prometheus metrics; files,
        // fine-tuning and admin controllers over the registry and the job runner.
        .target(name: "Server", dependencies: ["Scheduling", "Inference", "ModelFormats", "Adapters", "Llama", "Registry", "JobRunner", "Training", "TrainingData", "Tokenizers", "Sampling", "WebConsole", "Retrieval", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdAuth", package: "hummingbird-auth"), .product(name: "MultipartKit", package: "multipart-kit"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus")], swiftSettings: fast),
        // The knowledge loop's record (files, adapters and versions, jobs, events, activations) and
        // blob storage, as protocols with a local-folder store; no database in here.
        .target(name: "Registry", dependencies: ["ModelFormats"], swiftSettings: fast),
        // The registry in SQLite (GRDB, WAL, migrations), shared by the server and the CLI.
        .target(name: "SQLiteRegistry", dependencies: ["Registry", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: fast),
        // Fine-tuning jobs run one at a time from the registry's queue, at idle CPU priority.
        .target(name: "JobRunner", dependencies: ["Registry", "FineTuning", "Inference", "Training", "TrainingData", "Adapters", "Llama", "TensorKernels", "ModelFormats", .product(name: "Logging", package: "swift-log")], swiftSettings: fast),
        // The browser console's HTML, CSS and JavaScript, compiled into the binary as byte arrays.
        .target(name: "WebConsole", path: "web", resources: [.embedInCode("index.html"), .embedInCode("favicon.svg"), .embedInCode("css"), .embedInCode("js")]),
        // Fine-tuning data: text windows and chat conversations as token ids with loss masks.
        .target(name: "TrainingData", dependencies: ["Tokenizers", "ModelFormats", "Sampling", "Training"], swiftSettings: fast),
        // Documents turned into knowledge examples: fact views, synthesised questions, overviews, general replay.
        .target(name: "KnowledgePreparation", dependencies: ["Tokenizers", "Retrieval"], swiftSettings: fast),
        // The sentences an adapter was trained on, ranked by BM25 for a chat question (no dependencies).
        .target(name: "Retrieval", swiftSettings: fast),
        // A fine-tuning run from files to an adapter folder: data, parent, checkpoints, report, events.
        .target(name: "FineTuning", dependencies: ["Training", "TrainingData", "KnowledgePreparation", "Retrieval", "Adapters", "Inference", "Llama", "ModelFormats", "Tokenizers"], swiftSettings: fast),
        .executableTarget(
            name: "LorekeeperCLI",
            dependencies: ["Inference", "Adapters", "Server", "FineTuning", "KnowledgePreparation", "Training", "TrainingData", "TensorKernels", "Registry", "SQLiteRegistry", "JobRunner", "ModelFormats", "Llama", "Sampling", "Tokenizers", "Retrieval", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: fast),

        .target(name: "TestSupport", dependencies: ["Llama", "ModelFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "TensorKernelsTests", dependencies: ["TensorKernels", "TestSupport", "CKernels", "ModelFormats"], swiftSettings: fast),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFormats", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"], swiftSettings: fast),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "TensorKernels", "TestSupport", "ModelFormats"], swiftSettings: fast),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Adapters", "Llama", "ModelFormats", "TensorKernels", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "Llama", "ModelFormats", "TestSupport", "Inference", "Retrieval"], swiftSettings: fast),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "TestSupport", "Llama", "Sampling", "TensorKernels", "Tokenizers"], swiftSettings: fast),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Inference", "TestSupport", "Adapters", "Llama", "Training"], swiftSettings: fast),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Retrieval", "Tokenizers", "Inference", "TestSupport", "Adapters", "Llama", "ModelFormats"], swiftSettings: fast),
        .testTarget(name: "FineTuningTests", dependencies: ["FineTuning", "KnowledgePreparation", "Training", "TrainingData", "Inference", "Adapters", "Llama", "TestSupport", "ModelFormats", "Sampling", "Tokenizers"], swiftSettings: fast),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "SQLiteRegistry", "TestSupport"], swiftSettings: fast),
        .testTarget(name: "KnowledgePreparationTests", dependencies: ["KnowledgePreparation", "Retrieval", "TrainingData", "FineTuning", "Inference", "TestSupport", "ModelFormats", "Tokenizers", "Training"], swiftSettings: fast),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval"], swiftSettings: fast),
        .testTarget(name: "TrainingDataTests", dependencies: ["TrainingData", "Training", "Inference", "TestSupport", "ModelFormats", "Tokenizers"], swiftSettings: fast),
    ]
)
