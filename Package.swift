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
        .target(name: "Tokenizers", dependencies: ["ModelFormats"], swiftSettings: fast),

        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats"], swiftSettings: fast),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], swiftSettings: fast),
    ]
)
