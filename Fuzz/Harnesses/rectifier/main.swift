import Foundation
import FuzzSupport
import CLIP
import Math
import ReCLIP

// Rectifier loading: `Rectifier.load` on a safetensors file (ours, with metadata) or on a
// `.pth` (the authors' checkpoints; an input starting with the zip signature is written with
// that extension), then `checkCompatible(with:)` against a small CLIP loaded once, the tiny
// CLIP the rectifier fixtures were made for (Tests/Fixtures/reclip/tiny_clip.safetensors).
// A rectifier that fits then computes what the segmenter computes with it: the reference
// embeddings of its class names and every bias map on a 2x3 grid, with stand-in features,
// classifier and global-logit shift (their values do not matter, only that every shape
// holds); a ReCLIP rectifier does it again moved to another class list (`transferred(to:)`).

let clip: CLIPModel = {
    let path = repositoryRoot.appendingPathComponent("Tests/Fixtures/reclip/tiny_clip.safetensors").path
    do { return try CLIPModel(contentsOf: path) } catch { fatalError("fuzz harness: cannot load the CLIP: \(error)") }
}()
let tokenizer: CLIPTokenizer = {
    do { return try CLIPTokenizer.shared() } catch { fatalError("fuzz harness: cannot load the tokenizer: \(error)") }
}()
/// The classes of the `.pth` fixtures, which record none (a safetensors file records its own).
let pthClasses = ["cat", "potted plant", "chest of drawers"]
let safetensors = ScratchFile(name: "rectifier.safetensors")
let pth = ScratchFile(name: "rectifier.pth")

/// What the segmenter computes with a rectifier: the reference embeddings of its class names,
/// then every bias map on a 2x3 grid.
func biasMaps(_ r: Rectifier) throws {
    let K = r.classCount, D = clip.architecture.embedDim, (h, w) = (2, 3)
    let names = r.classNames.map { referenceNameTokens(bpe: tokenizer.encode($0).map(Int.init)) }
    let reference = r.referenceEmbeddings(nameTokens: names, model: clip)
    precondition(reference.count == K * D, "\(reference.count) reference values for \(K) classes of \(D)")
    let positional = clip.patchPositionalEmbedding(gridHeight: h, gridWidth: w).data
    let maps = BiasMaps(features: pseudoRandomFloats(D * h * w, seed: 2), classifier: pseudoRandomFloats(K * D, seed: 3),
                        reference: reference, positional: positional, rectifier: r, h: h, w: w,
                        rawShift: pseudoRandomFloats(K, seed: 4))
    precondition(maps.raw.count == K * h * w && maps.bias.count == K * h * w, "maps of \(maps.raw.count) and \(maps.bias.count) values")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRectifier(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let isZip = bytes.starts(with: [0x50, 0x4B])
    let scratch = isZip ? pth : safetensors
    scratch.write(bytes)
    expectingErrors(naming: scratch.path) {
        let r = try Rectifier.load(from: URL(fileURLWithPath: scratch.path), classes: isZip ? pthClasses : nil)
        try r.checkCompatible(with: clip)
        try r.checkHead(.maskclip)
        try biasMaps(r)
        // The same rectifier on another class list (one of its own classes and a new one), as
        // the explorer moves it (ReCLIP only).
        if let moved = r.transferred(to: [r.classNames[0], "a class it never saw"]) {
            try moved.checkCompatible(with: clip)
            try biasMaps(moved)
        }
    }
    return 0
}

runFuzzer(fuzzRectifier)
