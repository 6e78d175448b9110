// swift-tools-version:6.0
//
// reclip: CLIP segmentation, its biases, and their rectification, in a terminal.
// Dependencies flow one way: TUI -> Render, Segmentation -> Math;
// Datasets (dataset folders on disk) -> Render, Segmentation.
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

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
        .target(name: "Math", dependencies: ["CBLAS", "CVectorMath"], swiftSettings: optimise),
        .target(
            name: "Segmentation",
            dependencies: ["Math", "CZlib"],
            resources: [.copy("Resources")],
            swiftSettings: optimise),
        // libjpeg reports fatal errors through a longjmp that Swift frames cannot survive:
        // this small C target holds the setjmp guard around the decoder.
        .target(name: "CJPEGShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "Render", dependencies: ["CPNG", "CJPEGShim", "CZlib"], swiftSettings: optimise),
        .target(name: "Datasets", dependencies: ["Render", "Segmentation"], swiftSettings: optimise),
        .target(name: "TUI", dependencies: ["Render", "Segmentation", "Datasets", "CNCurses"]),
        .executableTarget(
            name: "reclip",
            dependencies: [
                "Math", "Segmentation", "Render", "Datasets", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "MathTests", dependencies: ["Math"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "Math"]),
        .testTarget(name: "RenderTests", dependencies: ["Render"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Render", "Segmentation"]),
        .testTarget(name: "TUITests", dependencies: ["TUI", "Render", "Segmentation"]),
    ],
    swiftLanguageModes: [.v5]
)
