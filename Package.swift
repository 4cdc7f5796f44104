// swift-tools-version:6.0
import PackageDescription

/// Numeric targets are compiled for AVX2/FMA (Haswell and later): Swift's default x86-64 baseline
/// turns SIMD fused multiply-adds into scalar libm calls (see Docs/ARCHITECTURE.md).
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
]

let package = Package(
    name: "DeepVis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "deepvis", targets: ["deepvis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Thin C shims: each is imported by exactly one Swift target.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSDL2", providers: [.apt(["libsdl2-dev", "libsdl2-ttf-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .target(name: "CV4L2", linkerSettings: [.linkedLibrary("v4l2")]),

        .target(name: "Tensors", dependencies: ["CBLAS"], swiftSettings: fastMath),
        // The AVX-512 build of Tensors' 1×1 kernel, chosen at run time (Swift has no per-function target attributes).
        .target(name: "TensorsAVX512", dependencies: ["Tensors"], swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"])]),
        // -O, not -Ounchecked: with -Ounchecked, Session.backward with a .tensor seed returned a garbage error in release
        // (swift_getErrorValue crash in deepvis dream/adversarial; debug and -O builds are fine).
        .target(name: "Network", dependencies: ["Tensors", "TensorsAVX512"], swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"])]),
        .target(name: "ONNXImport", dependencies: ["Network", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Imaging", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: fastMath),
        .target(name: "Visualization", dependencies: ["Network", "Imaging"], swiftSettings: fastMath),
        .target(name: "Capture", dependencies: ["CV4L2", "CFFmpeg", "Imaging"], swiftSettings: fastMath),
        .target(name: "LivePipeline", dependencies: ["Capture", "Network", "Visualization"]),
        .target(name: "ViewerCore", dependencies: ["Imaging", "Network"]),
        .target(name: "Viewer", dependencies: ["ViewerCore", "LivePipeline", "Imaging", "CSDL2"]),
        .executableTarget(name: "deepvis", dependencies: [
            "Tensors", "Network", "ONNXImport", "Imaging", "Visualization", "Capture", "LivePipeline", "Viewer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["Tensors", "Network", "Imaging", "Capture"], path: "Tests/TestSupport"),

        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TensorsAVX512", "TestSupport"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "TestSupport"]),
        .testTarget(name: "ONNXImportTests", dependencies: ["ONNXImport", "Network", "Imaging", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "VisualizationTests", dependencies: ["Visualization", "ONNXImport", "Imaging", "Network", "TestSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "TestSupport"]),
        .testTarget(name: "LivePipelineTests", dependencies: ["LivePipeline", "Capture", "Network", "Visualization", "TestSupport"]),
        .testTarget(name: "ViewerCoreTests", dependencies: ["ViewerCore", "TestSupport"]),
        .testTarget(name: "ViewerTests", dependencies: ["Viewer", "ViewerCore", "LivePipeline", "Network", "ONNXImport", "Visualization", "Capture", "TestSupport"]),
        .testTarget(name: "DeepVisCLITests", dependencies: ["TestSupport"]),
    ]
)
