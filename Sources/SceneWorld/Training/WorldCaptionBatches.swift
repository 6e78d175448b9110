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
    /// Probability that a training pair also brings a hard-negative caption (one class off,
    /// `WorldCaption.hardNegative`), scored against every image of the batch; 0: none.
    public let hardNegatives: Float
    /// First scene index of the held-out range.
    public static let validationStart = 1 << 40

    public init(world: WorldGenerator, tokenizer: CLIPTokenizer, contextLength: Int, crops: WorldCropSettings? = nil,
                hardNegatives: Float = 0) {
        self.world = world
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.crops = crops
        self.hardNegatives = hardNegatives
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

    /// Tokens [N, L] of the hard-negative captions of `scenes` (N of them, each pair drawn
    /// with probability `hardNegatives` from its scene's index, so a batch is the same
    /// whatever else was drawn), and the classes each names.
    public func hardNegativeCaptions(for scenes: [WorldScene], first: Int) throws -> (tokens: [Int32], classes: [[WorldClass]]) {
        guard hardNegatives > 0 else { return ([], []) }
        var captions: [String] = [], classes: [[WorldClass]] = []
        for (i, scene) in scenes.enumerated() where !scene.captionClasses.isEmpty {
            var rng = WorldRandom(seed: world.seed ^ 0x6E65_675F_6361_7074, index: UInt64(first + i))
            guard rng.chance(hardNegatives) else { continue }
            let negative = WorldCaption.hardNegative(of: scene.captionClasses, kind: scene.kind, vocabulary: scene.vocabulary, rng: &rng)
            captions.append(negative.caption)
            classes.append(negative.classes)
        }
        let rows = try tokenizer.tokenize(captions, contextLength: contextLength, truncate: true)
        return (rows.flatMap { $0 }, classes)
    }

    /// Training batch number `step`, with its hard-negative captions (none unless `hardNegatives` > 0).
    public func training(step: Int, size: Int) throws
        -> (pixels: [Float], tokens: [Int32], scenes: [WorldScene], negatives: [Int32]) {
        let b = try batch(first: step * size, size: size, crops: crops)
        return (b.pixels, b.tokens, b.scenes, try hardNegativeCaptions(for: b.scenes, first: step * size).tokens)
    }
}
