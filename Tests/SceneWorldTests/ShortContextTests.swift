import Pixels
import XCTest
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP
@testable import SceneWorld

/// A CLIP with a text context of 32 tokens (as the small world CLIP has) through the engine:
/// the 85-template classifier, both rectifiers' Reference prompts (28 learned tokens),
/// segmentation and a rectifier training run.
final class ShortContextTests: XCTestCase {
    static let classes = WorldClass.allCases.map(\.name)

    /// A tiny random small CLIP with the real vocabulary and context 32, F16-rounded, and the
    /// engine's model loaded from its F16 export.
    static func models() throws -> (mini: MiniCLIP, engine: CLIPModel) {
        var c = MiniCLIPConfig()
        c.imageSize = 32; c.patchSize = 8
        c.visionWidth = 16; c.visionLayers = 1; c.visionHeads = 2
        c.textWidth = 16; c.textLayers = 1; c.textHeads = 2
        c.contextLength = 32; c.embedDim = 8
        var mini = MiniCLIP(config: c, seed: 5)
        for t in 0..<mini.parameters.values.count {
            mini.parameters.values[t] = mini.parameters.values[t].map { Float(Float16($0)) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctx32-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try mini.writeHalfPrecision(to: path)
        return (mini, try CLIPModel(contentsOf: path))
    }

    func testTextClassifierTokenisesAtContext32AndMatchesTheTrainingForward() throws {
        let (mini, engine) = try Self.models()
        XCTAssertEqual(engine.architecture.contextLength, 32)
        let tokenizer = try CLIPTokenizer()
        let prompts = try TextClassifier.prompts(classes: Self.classes, tokenizer: tokenizer, contextLength: 32)
        for row in prompts.joined() {
            XCTAssertEqual(row.count, 32)
            XCTAssertEqual(row.filter { $0 == CLIPTokenizer.endOfText }.count, 1)
        }
        let classifier = try TextClassifier(model: engine, classes: Self.classes, tokenizer: tokenizer)
        // The same classifier from the training forward of the small CLIP.
        let D = mini.config.embedDim
        for (k, classPrompts) in prompts.enumerated() {
            let e = mini.textForward(classPrompts.flatMap { $0 }, batch: classPrompts.count).embedding
            let n = l2NormalizeForward(e, N: classPrompts.count, C: D).y
            var mean = [Float](repeating: 0, count: D)
            for i in 0..<classPrompts.count { for d in 0..<D { mean[d] += n[i * D + d] / Float(classPrompts.count) } }
            let expected = l2NormalizeForward(mean, N: 1, C: D).y
            for d in 0..<D { XCTAssertEqual(classifier.weights[k * D + d], expected[d], accuracy: 1e-4, "\(Self.classes[k])") }
        }
        // A name too long for 32 tokens is cut, keeping end-of-text last, instead of failing.
        let long = String(repeating: "mountain ", count: 40)
        let cut = try TextClassifier.prompts(classes: [long], tokenizer: tokenizer, contextLength: 32)[0]
        XCTAssertTrue(cut.allSatisfy { $0.count == 32 && $0[31] == CLIPTokenizer.endOfText })
        XCTAssertNoThrow(try TextClassifier(model: engine, classes: [long], tokenizer: tokenizer))
    }

    func testBothRectifiersSegmentAndTrainAtContext32() throws {
        let (_, engine) = try Self.models()
        var rng = SplitMix64(seed: 3)
        let w = 48, h = 40
        let pixels = RGBImage(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let classifier = try TextClassifier(model: engine, classes: Self.classes, tokenizer: CLIPTokenizer())
        for variant in RectifierVariant.allCases {
            // A short training run: pseudo labels, Reference prompts of 28 tokens, SGD steps.
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("ctx32-\(UUID()).safetensors")
            defer { try? FileManager.default.removeItem(at: out) }
            var c = TrainingConfiguration()
            c.variant = variant; c.epochs = 1; c.batchSize = 1; c.size = 32; c.seed = 1; c.checkpointEvery = 10
            c.cropWindow = 16; c.cropStep = 8
            let run = TrainingRun(model: engine, classes: Self.classes, configuration: c, weightsHash: "ctx32",
                                  cacheFolder: nil, output: out)
            let url = URL(fileURLWithPath: "/images/a.png")
            let samples = try XCTUnwrap(try run.prepare(images: [url], load: { _ in pixels }, classifier: classifier, progress: { _ in }))
            var losses: [Float] = []
            XCTAssertEqual(try run.train(samples: samples, classifier: classifier, resume: false,
                                         progress: { losses.append($0.loss) }, shouldStop: { false }).steps, 1)
            XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(variant) \(losses)")

            let rectifier = try Rectifier.load(from: out, classes: Self.classes, weightsHash: "ctx32")
            XCTAssertEqual(rectifier.promptLength, 28)
            let segmenter = try Segmenter(model: engine, classes: Self.classes, rectifier: rectifier, classifierCache: nil)
            let maps = try segmenter.segment(pixels, size: 32)
            let plane = maps.gridWidth * maps.gridHeight
            let bias = try XCTUnwrap(maps.bias, "\(variant)")
            XCTAssertEqual(bias.count, Self.classes.count * plane)
            XCTAssertTrue(bias.allSatisfy(\.isFinite))
            XCTAssertGreaterThan(bias.map(abs).max() ?? 0, 0, "\(variant): the bias is not zero")
            let labels = maps.labels(alpha: 1, width: w, height: h)
            XCTAssertEqual(labels.count, w * h)
            XCTAssertTrue(labels.allSatisfy { (0..<Int32(Self.classes.count)).contains($0) })
        }
    }
}
