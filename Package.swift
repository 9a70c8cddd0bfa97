// swift-tools-version:6.0
//
// emotiond: MQTT clips in, emotion events out. See README.md for the data flow and
// docs/ for the design notes. Module map (one concern each):
//
//   C interop (thin wrappers only)   CFFmpeg, CBLAS, CMosquitto, COpenCV
//   Signal and media                  Media (FFmpeg decode from memory), Audio (features, augmentation)
//   Learning                          NN (tensors, layers, optimiser, safetensors), Models (our nets),
//                                     Training (datasets, cross-validation, reports)
//   Perception                        Vision (Haar faces, crops), Fusion (labels, late fusion, events)
//   Glue                              Pipeline (one clip in, one EmotionEvent out)
//   Service                           Broker (MQTT), Store (SQLite aggregates), Daemon (serve)
//   Executable                        emotiond (swift-argument-parser commands)
import PackageDescription

/// Release builds drop bounds checks in the numeric kernels; debug builds keep them.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "emotiond",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "emotiond", targets: ["emotiond"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: C interop
        .target(
            name: "CFFmpeg",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avutil"),
                .linkedLibrary("swresample"), .linkedLibrary("swscale"),
            ]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto"),
        .target(
            name: "COpenCV",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_core"), .linkedLibrary("stdc++"),
            ]),

        // MARK: Library modules
        .target(name: "Fusion", swiftSettings: fastMath),
        .target(name: "Media", dependencies: ["CFFmpeg"], swiftSettings: fastMath),
        .target(name: "Audio", dependencies: ["CBLAS", "CFFmpeg"], swiftSettings: fastMath),
        // NN is optimised in debug builds too: unoptimised, its kernels (SIMD accumulators,
        // per-element loops) take seconds per clip's faces, so every debug-built test that
        // classifies a face clip would measure the compiler instead of the daemon.
        .target(name: "NN", dependencies: ["CBLAS"],
                swiftSettings: fastMath + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "Models", dependencies: ["NN", "Audio", "Fusion", "Vision", "CBLAS"], swiftSettings: fastMath),
        .target(name: "Vision", dependencies: ["COpenCV", "Media"], swiftSettings: fastMath),
        .target(
            name: "Pipeline",
            dependencies: ["Media", "Audio", "Vision", "Models", "Fusion"],
            swiftSettings: fastMath),
        .target(
            name: "Training",
            dependencies: ["Pipeline", "Models", "NN", "Audio", "Media", "Fusion"],
            swiftSettings: fastMath),
        .target(
            name: "Broker",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "Store",
            dependencies: ["Fusion", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Daemon",
            dependencies: [
                "Pipeline", "Media", "Models", "NN", "Broker", "Store", "Fusion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "emotiond",
            dependencies: [
                "Pipeline", "Training", "Daemon", "Store", "Fusion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMath),

        // MARK: Tests (mirror Sources/)
        .testTarget(name: "FusionTests", dependencies: ["Fusion"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "Media"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "NN"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "Media"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Media"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        // A real mosquitto per test, shared by the broker and daemon tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "TestSupport"]),
        // Runs the built `emotiond` binary as a user would.
        .testTarget(name: "CLITests", dependencies: ["emotiond", "Fusion"]),
    ],
    swiftLanguageModes: [.v5]
)
