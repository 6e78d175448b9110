import Pixels
import XCTest
import Math
import TestSupport
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// `reclip train --init` and the few-image schedule: a run starts from the given rectifier,
/// refuses an incompatible one with a one-line error naming the file, and records what it
/// started from and on how many images it was adapted.
final class AdaptationTests: XCTestCase {
    static let classes = TrainingRunTests.classes

    var folder: URL!
    override func setUpWithError() throws { folder = try scratchFolder("adapt") }

    /// A small run's settings on the three test images (SiteShiftTests uses them too).
    static func configuration(_ variant: RectifierVariant = .reclip, epochs: Int = 1, lr: Float = 0.05) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.variant = variant; c.epochs = epochs; c.batchSize = 1; c.size = 32; c.seed = 4; c.checkpointEvery = 0
        c.cropWindow = 16; c.cropStep = 8; c.labelTopK = 3
        c.optimiser.learningRate = lr
        return c
    }

    /// A run of `c` on the tiny CLIP writing `out` (SiteShiftTests uses it too).
    static func run(_ c: TrainingConfiguration, output out: URL, classes: [String] = AdaptationTests.classes,
                    weightsHash: String = "tiny") throws -> TrainingRun {
        TrainingRun(model: try tinyCLIP(), classes: classes, configuration: c, weightsHash: weightsHash, cacheFolder: nil, output: out)
    }

    /// The three test images prepared for `run` with `classifier`.
    static func samples(_ run: TrainingRun, classifier: TextClassifier) throws -> [TrainingImage] {
        let imgs = TrainingRunTests.images()
        return try run.prepare(images: imgs.keys.sorted { $0.path < $1.path }, load: { imgs[$0]! }, classifier: classifier, progress: { _ in })!
    }

    /// Trains with `c` on the three test images into `name`; returns the written file and the losses.
    @discardableResult
    func train(_ c: TrainingConfiguration, _ name: String, classes: [String] = AdaptationTests.classes,
               weightsHash: String = "tiny") throws -> (URL, [Float]) {
        let run = try Self.run(c, output: folder.appendingPathComponent(name), classes: classes, weightsHash: weightsHash)
        let classifier = try TrainingRunTests.classifier(run.model)
        let samples = try Self.samples(run, classifier: classifier)
        var losses: [Float] = []
        try run.train(samples: samples, classifier: classifier, resume: false, progress: { losses.append($0.loss) }, shouldStop: { false })
        return (run.output, losses)
    }

    func testInitStartsFromTheRectifierAndRecordsIt() throws {
        let (start, _) = try train(Self.configuration(epochs: 2), "start.safetensors")
        var c = Self.configuration(lr: 1e-7)
        c.initialisation = start
        let (adapted, _) = try train(c, "adapted.safetensors")
        let (scratch, _) = try train(Self.configuration(lr: 1e-7), "scratch.safetensors")
        let a = try Rectifier.load(from: start), b = try Rectifier.load(from: adapted), s = try Rectifier.load(from: scratch)
        // A learning rate of 1e-7 barely moves the parameters: the adapted run ends where it started...
        for name in a.parameterNames {
            TestSupport.assertClose(b.parameter(name), a.parameter(name), tolerance: 1e-4, name)
        }
        // ... and a run from scratch with the same settings ends elsewhere.
        XCTAssertNotNil(firstMismatch(s.parameter("text_encoder.prompt_token"), a.parameter("text_encoder.prompt_token"), tolerance: 1e-3))
        // The metadata round trip: what it started from, on how many images, and the run's own settings.
        XCTAssertEqual(b.metadata["initialised_from"], "start.safetensors")
        XCTAssertEqual(b.metadata["initialised_from_sha256"], try SHA256.hex(ofFileAt: start))
        XCTAssertEqual(b.metadata["adapted_images"], "3")
        XCTAssertEqual(b.metadata["lr"], "1e-07")
        XCTAssertEqual(b.metadata["step"], "3")
        XCTAssertNil(a.metadata["initialised_from"], "a run from scratch records no initialisation")
        XCTAssertNil(a.metadata["adapted_images"])
    }

    /// `TrainingConfiguration.precision`: a bf16 run trains through the bf16 text tower, records
    /// the precision that ran, and ends near the fp32 run (or, on a CPU without AVX512_BF16,
    /// falls back to fp32 and ends exactly where it does).
    func testBF16TrainingRecordsItsPrecisionAndStaysNearFP32() throws {
        let (fp32, losses32) = try train(Self.configuration(epochs: 2), "fp32.safetensors")
        var c = Self.configuration(epochs: 2)
        c.precision = .bf16
        let (bf16, losses16) = try train(c, "bf16.safetensors")
        let a = try Rectifier.load(from: fp32), b = try Rectifier.load(from: bf16)
        XCTAssertEqual(a.metadata["precision"], "fp32")
        let ran = Precision.bf16.available.precision
        XCTAssertEqual(b.metadata["precision"], ran.rawValue)
        XCTAssertEqual(losses16.count, losses32.count)
        TestSupport.assertClose(losses16, losses32, tolerance: 0.05, "losses")
        let prompt = "text_encoder.prompt_token"
        if ran == .bf16 {
            TestSupport.assertClose(b.parameter(prompt), a.parameter(prompt), tolerance: 0.05, "prompt after 6 steps")
            XCTAssertNotNil(firstMismatch(b.parameter(prompt), a.parameter(prompt), tolerance: 0), "bf16 ran exactly as fp32")
        } else {
            XCTAssertNil(firstMismatch(b.parameter(prompt), a.parameter(prompt), tolerance: 0), "the fp32 fallback differs from fp32")
        }
    }

    func testInitRefusesIncompatibleRectifiersNamingTheFile() throws {
        let (reclip, _) = try train(Self.configuration(), "reclip.safetensors")
        let (sclip, _) = try train({ var c = Self.configuration(); c.head = .sclip; return c }(), "sclip.safetensors")
        // A rectifier whose space-preference network takes another vision width than the CLIP's.
        let model = try tinyCLIP()
        var rng = SplitMix64(seed: 1)
        var narrow = Rectifier(untrained: .reclip, classNames: Self.classes, tower: TextTransformer(model: model),
                               visualWidth: model.architecture.visionWidth + 3, using: &rng)
        narrow.metadata = ["weights_hash": "tiny", "head": "maskclip"]
        let narrowFile = folder.appendingPathComponent("narrow.safetensors")
        try narrow.save(to: narrowFile)

        func refusal(_ file: URL, variant: RectifierVariant = .reclip, classes: [String] = Self.classes,
                     weightsHash: String = "tiny", _ expected: String, line: UInt = #line) {
            var c = Self.configuration(variant)
            c.initialisation = file
            let run = TrainingRun(model: model, classes: classes, configuration: c, weightsHash: weightsHash,
                                  cacheFolder: nil, output: folder.appendingPathComponent("out.safetensors"))
            XCTAssertThrowsError(try run.initialRectifier(), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(file.path + ":"), "names the file first: \(text)", line: line)
                XCTAssertTrue(text.contains(expected), "\(text) should say \(expected)", line: line)
                XCTAssertFalse(text.contains("\n"), "one line: \(text)", line: line)
            }
        }
        refusal(folder.appendingPathComponent("missing.safetensors"), "no such rectifier file")
        refusal(reclip, classes: ["cat", "dog", "bird"], "trained for classes cat,potted plant,chest of drawers")
        refusal(reclip, weightsHash: "other", "trained with CLIP weights tiny")
        refusal(reclip, variant: .reclipPlusPlus, "pass --variant reclip")
        refusal(sclip, "pass --head sclip")
        refusal(narrowFile, "input channels")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.safetensors").path),
                       "a refused run writes nothing")
        // The compatible file is accepted.
        var c = Self.configuration(); c.initialisation = reclip
        let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny", cacheFolder: nil,
                              output: folder.appendingPathComponent("out.safetensors"))
        XCTAssertEqual(try run.initialRectifier()?.variant, .reclip)
    }

    func testTheFewImageScheduleGivesAboutAHundredStepsAtALowLearningRate() {
        for (images, epochs) in [(1, 20), (5, 20), (7, 15), (10, 10), (20, 5), (50, 2), (99, 2), (100, 1), (200, 1), (1000, 1)] {
            let s = AdaptationSchedule(images: images)
            XCTAssertEqual(s.epochs, epochs, "\(images) images")
            XCTAssertEqual(s.steps, images * epochs)
            XCTAssertEqual(s.steps >= AdaptationSchedule.targetSteps, images * AdaptationSchedule.maximumEpochs >= AdaptationSchedule.targetSteps,
                           "\(images) images: at least the target unless capped")
            XCTAssertLessThan(s.learningRate, TrainingConfiguration().optimiser.learningRate, "below the from-scratch rate")
            XCTAssertGreaterThan(s.learningRate, 0)
            XCTAssertEqual(s.batchSize, 1)
        }
    }

    /// ReCLIP++ adapts in a few large batches (its decoder's BatchNorm): the folder in batches of
    /// at most 20, at least five steps, at least one epoch.
    func testTheReCLIPPlusPlusScheduleTakesAFewLargeBatches() {
        for (images, batch, epochs, steps) in [(1, 1, 5, 5), (5, 5, 5, 5), (20, 20, 5, 5), (21, 20, 3, 6), (30, 20, 3, 6),
                                               (50, 20, 2, 6), (100, 20, 1, 5), (200, 20, 1, 10), (1000, 20, 1, 50)] {
            let s = AdaptationSchedule(images: images, variant: .reclipPlusPlus)
            XCTAssertEqual(s.batchSize, batch, "\(images) images")
            XCTAssertEqual(s.epochs, epochs, "\(images) images")
            XCTAssertEqual(s.steps, steps, "\(images) images")
            XCTAssertGreaterThanOrEqual(s.steps, AdaptationSchedule.plusPlusSteps)
            XCTAssertLessThanOrEqual(s.batchSize, images)
            TestSupport.assertClose(s.learningRate, AdaptationSchedule.plusPlusLearningRate, tolerance: 0)
        }
        // The steps a configuration counts agree with the schedule's.
        var c = TrainingConfiguration(); c.epochs = 3; c.batchSize = 20
        XCTAssertEqual(c.steps(images: 30), 6)
        XCTAssertEqual(c.steps(images: 20), 3)
    }

    /// A ReCLIP++ adapted from a start with `AdaptationMethod.decoderMean` ends with the start's decoder
    /// variance and a mean chosen by `DecoderMeanAdaptation`; by default, and from scratch, the
    /// training batches' statistics stay and nothing is chosen.
    func testAdaptingAReCLIPPlusPlusCanSetItsDecoderMeanLabelFree() throws {
        var s = Self.configuration(.reclipPlusPlus, epochs: 2)
        s.adaptation = .decoderMean
        let (start, _) = try train(s, "start.safetensors")
        var c = Self.configuration(.reclipPlusPlus, lr: 0.01)
        c.initialisation = start
        XCTAssertEqual(c.adaptation, .steps, "off by default")
        let (kept, _) = try train(c, "kept.safetensors")
        c.adaptation = .decoderMean
        let (adapted, _) = try train(c, "adapted.safetensors")
        let a = try Rectifier.load(from: start), b = try Rectifier.load(from: adapted), k = try Rectifier.load(from: kept)
        XCTAssertNil(a.metadata["decoder_mean_strength"])
        XCTAssertNil(k.metadata["decoder_mean_strength"])
        let strength = try XCTUnwrap(b.metadata["decoder_mean_strength"].flatMap(Float.init))
        XCTAssertTrue(DecoderMeanAdaptation.strengths.contains(strength))
        XCTAssertEqual(b.decoder!.norm.runningVar, a.decoder!.norm.runningVar, "the start's variance")
        XCTAssertNotEqual(k.decoder!.norm.runningVar, a.decoder!.norm.runningVar, "training batches move the running variance")
        if strength == 0 { XCTAssertEqual(b.decoder!.norm.runningMean, a.decoder!.norm.runningMean) }
        XCTAssertTrue(b.decoder!.norm.runningMean.allSatisfy(\.isFinite))
    }

    /// `reclip adapt` picks the start's recorded settings and the schedule.
    func testAdaptingReadsTheStartsRecordedSettings() throws {
        var c = Self.configuration()
        c.labelThreshold = 30; c.labelTopK = 4
        let (reclip, _) = try train(c, "reclip.safetensors")
        var d = Self.configuration(.reclipPlusPlus)
        d.cropWindow = 20; d.cropStep = 10; d.cropMinimumVotes = 2; d.head = .sclip
        let (plusPlus, _) = try train(d, "plusplus.safetensors")

        let a = TrainingConfiguration.adapting(try Rectifier.load(from: reclip), from: reclip, images: 15)
        XCTAssertEqual(a.variant, .reclip)
        XCTAssertEqual(a.size, 32)
        XCTAssertEqual(a.seed, 4)
        TestSupport.assertClose(a.labelThreshold, 30, tolerance: 0)
        XCTAssertEqual(a.labelTopK, 4)
        XCTAssertEqual(a.epochs, AdaptationSchedule(images: 15).epochs)
        TestSupport.assertClose(a.optimiser.learningRate, AdaptationSchedule.baseLearningRate, tolerance: 0)
        XCTAssertEqual(a.initialisation, reclip)
        XCTAssertEqual(a.checkpointEvery, 0)

        let b = TrainingConfiguration.adapting(try Rectifier.load(from: plusPlus), from: plusPlus, images: 200)
        XCTAssertEqual(b.variant, .reclipPlusPlus)
        XCTAssertEqual(b.head, .sclip)
        XCTAssertEqual([b.cropWindow, b.cropStep, b.cropMinimumVotes], [20, 10, 2])
        XCTAssertEqual(b.epochs, 1)
        XCTAssertEqual(b.batchSize, AdaptationSchedule.plusPlusBatch)
        TestSupport.assertClose(b.optimiser.learningRate, AdaptationSchedule.plusPlusLearningRate, tolerance: 0)
        XCTAssertEqual(a.batchSize, 1)

        // A file that records nothing (the authors' checkpoints) gets the defaults.
        var bare = try Rectifier.load(from: reclip)
        bare.metadata = [:]
        let e = TrainingConfiguration.adapting(bare, from: reclip, images: 5)
        XCTAssertEqual(e.size, TrainingConfiguration().size)
        XCTAssertEqual(e.labelTopK, TrainingConfiguration().labelTopK)
        XCTAssertEqual(e.head, .maskclip)

        // Hostile or nonsensical records are ignored, not trusted (and never trap).
        let defaults = TrainingConfiguration()
        for (size, rule) in [("99999999", "threshold nan, top inf"), ("8", "threshold 1e30, top 2.5"),
                             ("abc", "crop vote, window inf, step 1, at least 1 vote(s)"),
                             ("-5", "crop vote, window 20, step 40, at least 1 vote(s)"),
                             ("32", "threshold 5, top 99999999999"), ("32", "dense share, at least 2"),
                             ("32", "dense share, at least nan"), ("32", "dense share, at least 0, 5")] {
            bare.metadata = ["size": size, "pseudo_labels": rule]
            let h = TrainingConfiguration.adapting(bare, from: reclip, images: 5)
            XCTAssertEqual(size == "32" ? 32 : defaults.size, h.size, "\(size) \(rule)")
            XCTAssertEqual([h.labelTopK, h.cropWindow, h.cropStep, h.cropMinimumVotes],
                           [defaults.labelTopK, defaults.cropWindow, defaults.cropStep, defaults.cropMinimumVotes], rule)
            TestSupport.assertClose(h.labelThreshold, defaults.labelThreshold, tolerance: 0, rule)
            XCTAssertNil(h.labelSource, rule)
        }
    }
}
