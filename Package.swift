// swift-tools-version:6.0
//
// reclip: CLIP segmentation, its biases, and their rectification, in a terminal.
// Dependencies flow one way: TUI -> Render, Segmentation -> Math;
// Datasets (dataset folders on disk) -> Render, Segmentation.
import PackageDescription

let package = Package(
    name: "reclip",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "reclip", targets: ["reclip"]),
        .library(name: "Math", targets: ["Math"]),
        .library(name: "Segmentation", targets: ["Segmentation"]),
        .library(name: "Render", targets: ["Render"]),
        .library(name: "TUI", targets: ["TUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, all from Debian's packages (see scripts/deps).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // Vector kernels (exp, softmax rows, QuickGELU, LayerNorm rows) in C, so that they can use AVX2 + FMA
        // where the CPU has them and portable code elsewhere, chosen at run time.
        .target(name: "CVectorMath"),
        // SHA-256 through OpenSSL's libcrypto (Debian: libssl-dev).
        .target(name: "CSHA256", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "Math", dependencies: ["CBLAS", "CVectorMath"]),
        .target(
            name: "Segmentation",
            dependencies: ["Math", "CZlib", "CSHA256"],
            resources: [.copy("Resources")]),
        // libjpeg reports fatal errors through a longjmp that Swift frames cannot survive:
        // this small C target holds the setjmp guard around the decoder.
        .target(name: "CJPEGShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "Render", dependencies: ["CPNG", "CJPEGShim", "CZlib"]),
        .target(name: "Datasets", dependencies: ["Render", "Segmentation"]),
        .target(name: "TUI", dependencies: ["Render", "Segmentation", "Datasets", "CNCurses"]),
        .executableTarget(
            name: "reclip",
            dependencies: [
                "Math", "Segmentation", "Render", "Datasets", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The test suite's one NaN-strict numeric comparison, shared by every test target.
        .target(name: "TestSupport", dependencies: ["Math"], path: "Tests/TestSupport"),
        .testTarget(name: "MathTests", dependencies: ["Math", "TestSupport"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "Math", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Render", "Segmentation", "TestSupport"]),
        .testTarget(name: "TUITests", dependencies: ["TUI", "Render", "Segmentation", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
