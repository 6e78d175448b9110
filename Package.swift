// swift-tools-version:6.0
//
// reclip: CLIP segmentation, its biases, and their rectification, in a terminal.
// Dependencies flow one way, towards Math and FileIO:
//   FileIO                         bounded reads, atomic writes, escaping text from files, RECLIP_HOME
//   Pixels                         the one pixel type: RGBImage, IndexedImage, ClassMask
//   Math                           tensors, BLAS-backed kernels and their backward passes, optimisers
//   ModelFiles   -> Math, FileIO   safetensors, torch zip + pickle, inflate, SHA-256
//   ModelStore   -> ModelFiles     the weights registry, resumable downloads, published hashes
//   CLIP         -> ModelFiles, Pixels   preprocessing, tokenizer, the towers, the text classifier
//   ReCLIP       -> CLIP           rectifiers, bias maps, the segmenter, training, evaluation
//   SceneWorld   -> ReCLIP         the procedural scene world and the small CLIP's training
//   Render       -> Pixels, FileIO         decoding, resampling, colour, cells: the one place pixels become cells
//   Datasets     -> Render, ReCLIP, SceneWorld   every dataset folder on disk
//   TUI          -> Render, ReCLIP, Datasets     the explorer
//   reclip       -> everything     the command line
import PackageDescription

let package = Package(
    name: "reclip",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "reclip", targets: ["reclip"]),
        .library(name: "Math", targets: ["Math"]),
        .library(name: "FileIO", targets: ["FileIO"]),
        .library(name: "Pixels", targets: ["Pixels"]),
        .library(name: "ModelFiles", targets: ["ModelFiles"]),
        .library(name: "ModelStore", targets: ["ModelStore"]),
        .library(name: "CLIP", targets: ["CLIP"]),
        .library(name: "ReCLIP", targets: ["ReCLIP"]),
        .library(name: "SceneWorld", targets: ["SceneWorld"]),
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
        // where the CPU has them and portable code elsewhere, chosen at run time; and the bf16 GEMM
        // (vdpbf16ps where the CPU has AVX512_BF16, per-function target attributes, so that the rest
        // builds for generic x86-64).
        .target(name: "CVectorMath"),
        // SHA-256 through OpenSSL's libcrypto (Debian: libssl-dev).
        .target(name: "CSHA256", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "FileIO"),
        // The one pixel type (8-bit sRGB images, palette images, class masks), shared by the
        // engine and the renderer.
        .target(name: "Pixels"),
        .target(name: "Math", dependencies: ["CBLAS", "CVectorMath"]),
        .target(name: "ModelFiles", dependencies: ["Math", "FileIO", "CZlib", "CSHA256"]),
        .target(name: "ModelStore", dependencies: ["ModelFiles", "FileIO"]),
        .target(name: "CLIP", dependencies: ["Math", "Pixels", "ModelFiles", "FileIO"], resources: [.copy("Resources")]),
        .target(name: "ReCLIP", dependencies: ["Math", "Pixels", "ModelFiles", "CLIP", "FileIO"]),
        .target(name: "SceneWorld", dependencies: ["Math", "Pixels", "ModelFiles", "CLIP", "ReCLIP", "FileIO"]),
        // libjpeg reports fatal errors through a longjmp that Swift frames cannot survive:
        // this small C target holds the setjmp guard around the decoder.
        .target(name: "CJPEGShim", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "Render", dependencies: ["Pixels", "FileIO", "CPNG", "CJPEGShim", "CZlib"]),
        .target(name: "Datasets", dependencies: ["Pixels", "Math", "FileIO", "Render", "CLIP", "ReCLIP", "SceneWorld"]),
        // The terminal put back on a crash or an exit that skips the explorer's clean-up: a
        // signal handler can only make async-signal-safe calls, so it is C.
        .target(name: "CTerminalGuard"),
        .target(name: "TUI", dependencies: ["Pixels", "FileIO", "ModelFiles", "Render", "CLIP", "ReCLIP", "Datasets", "CNCurses",
                                            "CTerminalGuard"]),
        .executableTarget(
            name: "reclip",
            dependencies: [
                "FileIO", "Pixels", "Math", "ModelFiles", "ModelStore", "CLIP", "ReCLIP", "SceneWorld", "Render", "Datasets", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // The test suite's one NaN-strict numeric comparison, shared by every test target.
        .target(name: "TestSupport", dependencies: ["Math"], path: "Tests/TestSupport"),
        // Strict decoders of the sixel, kitty and iTerm2 bytes, for Render's round trips and the
        // explorer's and `reclip render`'s pictures.
        .target(name: "GraphicsTestSupport", dependencies: ["Pixels", "Render", "TestSupport"], path: "Tests/GraphicsTestSupport"),
        .testTarget(name: "FileIOTests", dependencies: ["FileIO", "TestSupport"]),
        .testTarget(name: "MathTests", dependencies: ["Math", "TestSupport"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "ModelStore", "FileIO", "Math", "TestSupport"]),
        .testTarget(name: "CLIPTests", dependencies: ["Pixels", "CLIP", "ModelFiles", "Math", "TestSupport"]),
        .testTarget(name: "ReCLIPTests", dependencies: ["Pixels", "ReCLIP", "CLIP", "ModelFiles", "Math", "TestSupport"]),
        .testTarget(name: "SceneWorldTests", dependencies: ["Pixels", "SceneWorld", "ReCLIP", "CLIP", "ModelFiles", "Math", "TestSupport"]),
        .testTarget(name: "RenderTests", dependencies: ["Pixels", "Render", "TestSupport", "GraphicsTestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Pixels", "Datasets", "Render", "CLIP", "ReCLIP", "SceneWorld", "ModelFiles", "CBLAS",
                                                      "TestSupport"]),
        .testTarget(name: "TUITests", dependencies: ["Pixels", "FileIO", "Math", "TUI", "Datasets", "Render", "CLIP", "ReCLIP", "TestSupport",
                                                 "GraphicsTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
