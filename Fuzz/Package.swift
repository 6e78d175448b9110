// swift-tools-version:6.0
//
// libFuzzer harnesses for reclip's readers of hostile files: a package of its own, beside the
// main one, so that the normal build never sees them. Built and run by scripts/fuzz/run.sh
// (see docs/fuzzing.md) with -sanitize=fuzzer,address. Each harness is one main.swift that
// defines LLVMFuzzerTestOneInput and hands it to libFuzzer's driver (FuzzSupport.runFuzzer).
import PackageDescription

/// One executable per harness: `fuzz-<name>` from `Harnesses/<name>/main.swift`.
func harness(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: "fuzz-\(name)",
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "reclip") },
        path: "Harnesses/\(name)")
}

let package = Package(
    name: "reclip-fuzz",
    dependencies: [.package(name: "reclip", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver", path: "Support/CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], path: "Support/FuzzSupport"),
        harness("safetensors", ["ModelFiles"]),
        harness("pth", ["ModelFiles"]),
        harness("clip", ["CLIP", "Math"]),
        harness("rectifier", ["ReCLIP", "CLIP", "Math"]),
        harness("vocab", ["CLIP"]),
        harness("tokenizer", ["CLIP"]),
        harness("png", ["Render", "Pixels"]),
        harness("jpeg", ["Render", "Pixels"]),
        harness("mask", ["Render", "Pixels", "ReCLIP"]),
    ],
    swiftLanguageModes: [.v6]
)
