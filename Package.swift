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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        .systemLibrary(name: "CPrefetch"),

        .target(name: "Tensors", dependencies: ["CBLAS", "CPrefetch"], swiftSettings: fastMath),
        // The AVX-512 build of Tensors' 1×1 kernel, chosen at run time (Swift has no per-function target attributes).
        .target(name: "TensorsAVX512", dependencies: ["Tensors", "CPrefetch"], swiftSettings: [.unsafeFlags(["-target-cpu", "skylake-avx512"])]),
        // Module name NeuralNetwork, not Network: SwiftNIO and Hummingbird test `canImport(Network)` for Apple's
        // Network.framework, and a module of that name in the build would be picked up by them.
        .target(name: "NeuralNetwork", dependencies: ["Tensors", "TensorsAVX512"], path: "Sources/Network", swiftSettings: fastMath),
        .target(name: "ONNXImport", dependencies: ["NeuralNetwork", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "Imaging", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: fastMath),
        .target(name: "Visualization", dependencies: ["NeuralNetwork", "Imaging"], swiftSettings: fastMath),
        .target(name: "Capture", dependencies: ["CV4L2", "CFFmpeg", "Imaging"], swiftSettings: fastMath),
        .target(name: "LivePipeline", dependencies: ["Capture", "NeuralNetwork", "Visualization"]),
        .target(name: "ViewerCore", dependencies: ["Imaging", "NeuralNetwork"]),
        .target(name: "Viewer", dependencies: ["ViewerCore", "LivePipeline", "Imaging", "CSDL2"]),
        // The browser front-end: same LivePipeline and ViewerCore state machine as Viewer, over HTTP + WebSocket.
        .target(name: "WebViewer", dependencies: [
            "ViewerCore", "LivePipeline", "Imaging", "NeuralNetwork",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.copy("Page")]),
        .executableTarget(name: "deepvis", dependencies: [
            "Tensors", "NeuralNetwork", "ONNXImport", "Imaging", "Visualization", "Capture", "LivePipeline", "Viewer", "WebViewer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["Tensors", "NeuralNetwork", "Imaging", "Capture"], path: "Tests/TestSupport"),

        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TensorsAVX512", "TestSupport"]),
        .testTarget(name: "NetworkTests", dependencies: ["NeuralNetwork", "TensorsAVX512", "TestSupport"]),
        .testTarget(name: "ONNXImportTests", dependencies: ["ONNXImport", "NeuralNetwork", "TensorsAVX512", "Imaging", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "VisualizationTests", dependencies: ["Visualization", "ONNXImport", "Imaging", "NeuralNetwork", "TestSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "TestSupport"]),
        .testTarget(name: "LivePipelineTests", dependencies: ["LivePipeline", "Capture", "NeuralNetwork", "Visualization", "TestSupport"]),
        .testTarget(name: "ViewerCoreTests", dependencies: ["ViewerCore", "TestSupport"]),
        .testTarget(name: "ViewerTests", dependencies: ["Viewer", "ViewerCore", "LivePipeline", "NeuralNetwork", "ONNXImport", "Visualization", "Capture", "TestSupport"]),
        .testTarget(name: "WebViewerTests", dependencies: [
            "WebViewer", "ViewerCore", "LivePipeline", "NeuralNetwork", "Capture", "Visualization", "TestSupport",
        ]),
        .testTarget(name: "DeepVisCLITests", dependencies: ["TestSupport"]),
    ]
)
