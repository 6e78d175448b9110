import XCTest
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP
@testable import SceneWorld

/// Captioned crops: the caption names exactly the classes the crop's mask holds, those classes
/// cover at least the crop threshold of the crop, and training batches mix them in
/// reproducibly.
final class WorldCropTests: XCTestCase {
    func testCropCaptionsNameExactlyTheClassesInTheCrop() {
        let world = WorldGenerator(seed: 5)
        let settings = WorldCropSettings(probability: 1)
        var crops = 0, fewer = 0
        for index in 0..<60 {
            let scene = world.scene(index: index)
            var rng = WorldRandom(seed: 1, index: UInt64(index))
            guard let crop = scene.randomCrop(settings, rng: &rng) else { continue }
            crops += 1
            XCTAssertEqual(crop.width, scene.width)
            XCTAssertEqual(crop.pixels.count, scene.pixels.count)
            XCTAssertEqual(WorldCaption.classesNamed(in: crop.caption), Set(crop.classes), crop.caption)
            XCTAssertEqual(crop.captionClasses, crop.classes)
            let inMask = Set(crop.labels.filter { $0 != WorldClass.ignoreIndex }.map { WorldClass(rawValue: Int($0))! })
            XCTAssertEqual(inMask, Set(crop.classes), "\(index): \(crop.caption)")
            XCTAssertTrue(Set(crop.classes).isSubset(of: Set(scene.classes)))
            if crop.classes.count < scene.classes.count { fewer += 1 }
        }
        XCTAssertGreaterThan(crops, 55)
        // Most crops hold fewer classes than their scene: that is what they teach.
        XCTAssertGreaterThan(fewer, crops / 2)
    }

    func testACropOfTheWholeSceneIsTheScene() {
        let scene = WorldGenerator(seed: 5).scene(index: 3)
        var rng = WorldRandom(seed: 2)
        let settings = WorldCropSettings(probability: 1, minimumSide: 96, maximumSide: 96, minimumFraction: 0)
        let crop = scene.randomCrop(settings, rng: &rng)!
        XCTAssertEqual(crop.pixels, scene.pixels)
        XCTAssertEqual(crop.labels, scene.labels)
        XCTAssertEqual(crop.classes, scene.classes)
    }

    func testHardNegativeBatchesAreReproducibleAndOnlyWhenAsked() throws {
        let world = WorldGenerator(seed: 8)
        let tokenizer = try CLIPTokenizer()
        let plain = WorldCaptionBatches(world: world, tokenizer: tokenizer, contextLength: 32)
        let negative = WorldCaptionBatches(world: world, tokenizer: tokenizer, contextLength: 32, hardNegatives: 0.5)
        XCTAssertTrue(try plain.training(step: 1, size: 16).negatives.isEmpty)
        let a = try negative.training(step: 1, size: 16), b = try negative.training(step: 1, size: 16)
        XCTAssertEqual(a.negatives, b.negatives)
        XCTAssertEqual(a.tokens, try plain.training(step: 1, size: 16).tokens, "the matching captions do not change")
        let n = a.negatives.count / 32
        XCTAssertEqual(a.negatives.count, n * 32)
        XCTAssertGreaterThan(n, 2)
        XCTAssertLessThan(n, 14)
        let captions = try negative.hardNegativeCaptions(for: a.scenes, first: 16)
        XCTAssertEqual(captions.tokens, a.negatives)
        XCTAssertEqual(captions.classes.count, n)
    }

    func testTrainingBatchesMixCropsReproduciblyAndHeldOutBatchesDoNot() throws {
        let world = WorldGenerator(seed: 8)
        let tokenizer = try CLIPTokenizer()
        let plain = WorldCaptionBatches(world: world, tokenizer: tokenizer, contextLength: 32)
        let mixed = WorldCaptionBatches(world: world, tokenizer: tokenizer, contextLength: 32,
                                        crops: WorldCropSettings(probability: 0.5))
        let a = try mixed.training(step: 2, size: 16), b = try mixed.training(step: 2, size: 16)
        XCTAssertEqual(a.pixels, b.pixels)
        XCTAssertEqual(a.tokens, b.tokens)
        let whole = try plain.training(step: 2, size: 16)
        let cropped = zip(a.scenes, whole.scenes).filter { $0.pixels != $1.pixels }.count
        XCTAssertGreaterThan(cropped, 2)
        XCTAssertLessThan(cropped, 14)
        let heldOut = try mixed.batch(first: WorldCaptionBatches.validationStart, size: 8)
        let heldOutWhole = try plain.batch(first: WorldCaptionBatches.validationStart, size: 8)
        XCTAssertEqual(heldOut.pixels, heldOutWhole.pixels)
    }
}
