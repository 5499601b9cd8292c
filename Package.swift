// swift-tools-version: 6.1
import PackageDescription

// Release builds target AVX2/FMA/F16C: baseline x86-64 code runs the SIMD kernels ~25x slower.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
]

let package = Package(
    name: "Lorekeeper",
    platforms: [.macOS(.v14)],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Model files: GGUF and safetensors readers/writers, tensor type layouts, file digests.
        .target(name: "ModelFormats", dependencies: ["CCrypto"], swiftSettings: fast),
        // Numeric kernels: quantised blocks, dot products, matrix products, norms, RoPE, attention.
        .target(name: "TensorKernels", dependencies: ["ModelFormats", "CBLAS", "CKernels"], swiftSettings: fast),
        // Quantised-block loops in C: Swift's SIMD integer-to-float conversions run scalar (measured 10x slower).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c"])]),
        // The llama-architecture transformer: configuration, weights, forward pass, KV cache.
        .target(name: "Llama", dependencies: ["ModelFormats", "TensorKernels"], swiftSettings: fast),

        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats"], swiftSettings: fast),
        .testTarget(name: "TensorKernelsTests", dependencies: ["TensorKernels"], swiftSettings: fast),
        .testTarget(name: "LlamaTests", dependencies: ["Llama"], swiftSettings: fast),
    ]
)
