import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Image-caption batches for contrastive training, drawn from a scene world: images
/// CLIP-normalised channel-major, captions tokenised with CLIP's BPE. No pixel labels are
/// used -- only what a caption says.
///
/// Training batch `s` holds scenes `s*B ..< (s+1)*B` (an endless stream, so nothing repeats);
/// held-out batches come from `validationStart` on.
///
/// ```swift
/// let batches = WorldCaptionBatches(world: WorldGenerator(seed: 1), tokenizer: try CLIPTokenizer.shared(), contextLength: 32)
/// let batch = try batches.training(step: 0, size: 64)
/// ```
public struct WorldCaptionBatches: Sendable {
    public let world: WorldGenerator
    public let tokenizer: CLIPTokenizer
    public let contextLength: Int
    /// Captioned crops mixed into the training batches (nil: whole scenes only). Held-out
    /// batches are always whole scenes.
    public let crops: WorldCropSettings?
    /// First scene index of the held-out range.
    public static let validationStart = 1 << 40

    public init(world: WorldGenerator, tokenizer: CLIPTokenizer, contextLength: Int, crops: WorldCropSettings? = nil) {
        self.world = world
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.crops = crops
    }

    /// Pixels [B, 3, S, S] and tokens [B, L] of scenes `first ..< first + size`; with `crops`,
    /// each scene is replaced by a captioned crop of itself with the settings' probability
    /// (drawn from the scene's index, so a batch is the same whatever else was drawn).
    public func batch(first: Int, size B: Int, crops: WorldCropSettings? = nil) throws
        -> (pixels: [Float], tokens: [Int32], scenes: [WorldScene]) {
        let S = world.size
        var scenes = [WorldScene?](repeating: nil, count: B)
        let world = self.world
        scenes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            // Each worker writes only the slots of its own range.
            parallelRanges(B, minimumCount: 1) { range in
                for i in range {
                    let scene = world.scene(index: first + i)
                    base[i] = scene
                    if let crops {
                        var rng = WorldRandom(seed: world.seed ^ 0x6372_6F70_5F63_6170, index: UInt64(first + i))
                        if rng.chance(crops.probability), let crop = scene.randomCrop(crops, rng: &rng) { base[i] = crop }
                    }
                }
            }
        }
        let made = scenes.map { $0! }
        let mean = ImagePreprocessing.mean, std = ImagePreprocessing.std
        var pixels = [Float](repeating: 0, count: B * 3 * S * S)
        for (b, scene) in made.enumerated() {
            for p in 0..<(S * S) {
                for c in 0..<3 {
                    pixels[(b * 3 + c) * S * S + p] = (Float(scene.pixels[p * 3 + c]) / 255 - mean[c]) / std[c]
                }
            }
        }
        let rows = try tokenizer.tokenize(made.map(\.caption), contextLength: contextLength, truncate: true)
        return (pixels, rows.flatMap { $0 }, made)
    }

    /// Training batch number `step`.
    public func training(step: Int, size: Int) throws -> (pixels: [Float], tokens: [Int32], scenes: [WorldScene]) {
        try batch(first: step * size, size: size, crops: crops)
    }
}
