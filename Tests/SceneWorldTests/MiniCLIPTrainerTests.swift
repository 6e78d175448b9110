import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP
@testable import SceneWorld

final class MiniCLIPTrainerTests: XCTestCase {
    func tinySettings(steps: Int) -> MiniCLIPTrainingSettings {
        var s = MiniCLIPTrainingSettings()
        var c = MiniCLIPTrainerTests.config
        c.imageSize = 16
        s.config = c
        s.steps = steps
        s.batchSize = 4
        s.warmupSteps = 2
        s.checkpointEvery = 2
        s.worldSeed = 3
        return s
    }

    static var config: MiniCLIPConfig {
        var c = MiniCLIPConfig()
        c.patchSize = 8
        c.visionWidth = 16; c.visionLayers = 1; c.visionHeads = 2
        c.textWidth = 16; c.textLayers = 1; c.textHeads = 2
        c.contextLength = 12; c.embedDim = 8
        return c
    }

    func testResumedRunEqualsAnUninterruptedOneAndWritesAHalfPrecisionModel() throws {
        let base = try scratchFolder("clip", create: false)
        let straight = base.appendingPathComponent("straight"), split = base.appendingPathComponent("split")
        var a = try MiniCLIPTrainer(settings: tinySettings(steps: 4), folder: straight, resume: false)
        var losses: [Float] = []
        try a.run { losses.append($0.loss) }
        XCTAssertEqual(losses.count, 4)
        XCTAssert(losses.allSatisfy(\.isFinite))

        // The same seed gives the same loss curve, bit for bit, across a stop and a resume.
        var b = try MiniCLIPTrainer(settings: tinySettings(steps: 2), folder: split, resume: false)
        var curve: [Float] = []
        try b.run { curve.append($0.loss) }
        var c = try MiniCLIPTrainer(settings: tinySettings(steps: 4), folder: split, resume: true)
        XCTAssertEqual(c.step, 2)
        try c.run { curve.append($0.loss) }
        XCTAssertEqual(curve, losses)
        for i in 0..<a.model.parameters.values.count {
            XCTAssertEqual(a.model.parameters.values[i], c.model.parameters.values[i], a.model.parameters.names[i])
        }

        // The F16 export reads back through the safetensors reader with OpenAI's names.
        let file = try SafeTensorsFile(path: a.modelURL.path)
        XCTAssertEqual(Set(file.names), Set(a.model.parameters.names))
        XCTAssertEqual(try file.entry("logit_scale").dtype, .f16)
        let proj = try file.floats("visual.proj"), expected = a.model.parameters["visual.proj"]
        for i in 0..<proj.count { XCTAssertEqual(proj[i], expected[i], accuracy: abs(expected[i]) * 1e-3 + 1e-4) }
    }

    func testResumingSomethingElseIsAClearError() throws {
        let folder = try scratchFolder("clip")
        try Data("not a checkpoint".utf8).write(to: folder.appendingPathComponent("checkpoint.safetensors"))
        XCTAssertThrowsError(try MiniCLIPTrainer(settings: tinySettings(steps: 2), folder: folder, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("checkpoint.safetensors"), "\(error)")
        }
    }

    func testLearningRateWarmsUpThenDecaysToZero() {
        var s = MiniCLIPTrainingSettings()
        s.steps = 100; s.warmupSteps = 10; s.learningRate = 1
        XCTAssertEqual(s.learningRate(at: 0), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(at: 9), 1, accuracy: 1e-6)
        XCTAssertGreaterThan(s.learningRate(at: 50), s.learningRate(at: 80))
        XCTAssertEqual(s.learningRate(at: 100), 0, accuracy: 1e-6)
    }
}

/// The exported small CLIP is read by the engine's CLIP loader and computes what training computed.
final class MiniCLIPExportTests: XCTestCase {
    func testEngineLoadsTheExportAndAgreesWithTheTrainingForward() throws {
        try checkExport(pooling: nil)
    }

    func testPatchMeanPoolingIsStoredAndTheEngineAgrees() throws {
        try checkExport(pooling: .patchMean)
    }

    func checkExport(pooling: ImagePooling?) throws {
        var config = MiniCLIPGradientTests.tinyConfig
        config.pooling = pooling
        var model = MiniCLIP(config: config, seed: 12)
        // Round to F16 first, so both sides see the same weights.
        for t in 0..<model.parameters.values.count {
            model.parameters.values[t] = model.parameters.values[t].map { Float(Float16($0)) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mini-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.writeHalfPrecision(to: path)
        let loaded = try CLIPModel(contentsOf: path)
        XCTAssertEqual(loaded.architecture.pooling, pooling ?? .classToken)

        var rng = WorldRandom(seed: 2)
        let pixels = (0..<(3 * 16 * 16)).map { _ in rng.normal() }
        let ours = model.imageForward(pixels, batch: 1).embedding
        let engine = loaded.encodeImage(Tensor(shape: [3, 16, 16], data: pixels)).data
        assertClose(engine, ours, tolerance: 1e-4, "global embedding, \(String(describing: pooling))")

        let tokens: [Int32] = [18, 4, 7, 19, 0, 0]
        let oursText = model.textForward(tokens, batch: 1).embedding
        let engineText = try loaded.encodeText(tokens: [tokens]).data
        assertClose(engineText, oursText, tolerance: 1e-4, "text embedding")
    }
}

final class ZeroShotPresenceTests: XCTestCase {
    func testROCAUCByHand() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won 3 of 4.
        XCTAssertEqual(ZeroShotPresence.rocAUC(scores: [0.9, 0.5, 0.4, 0.1], positive: [true, false, true, false]), 0.75, accuracy: 1e-12)
        XCTAssertEqual(ZeroShotPresence.rocAUC(scores: [1, 1, 1], positive: [true, false, false]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ZeroShotPresence.rocAUC(scores: [3, 2, 1], positive: [true, true, false]), 1, accuracy: 1e-12)
        XCTAssert(ZeroShotPresence.rocAUC(scores: [1, 2], positive: [true, true]).isNaN)
    }
}
