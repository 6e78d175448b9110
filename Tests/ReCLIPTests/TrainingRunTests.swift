import Pixels
import XCTest
import Math
import TestSupport
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// Whole training runs on the tiny CLIP: reproducible, and a stopped-then-resumed run ends
/// where an uninterrupted one does.
final class TrainingRunTests: XCTestCase {
    static let classes = ["cat", "potted plant", "chest of drawers"]

    /// The text classifier, built once for all runs of the test.
    nonisolated(unsafe) static var cachedClassifier: TextClassifier?   // test-only memo, used from one thread
    static func classifier(_ model: CLIPModel) throws -> TextClassifier {
        if let c = cachedClassifier { return c }
        let c = try TextClassifier(model: model, prompts: TextClassifier.prompts(classes: classes, tokenizer: CLIPTokenizer()))
        cachedClassifier = c
        return c
    }

    static func images() -> [URL: RGBImage] {
        var rng = SplitMix64(seed: 9)
        var out: [URL: RGBImage] = [:]
        for i in 0..<3 {
            let w = 40 + 8 * i, h = 36
            out[URL(fileURLWithPath: "/images/\(i).png")] =
                RGBImage(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        return out
    }

    /// What the last `run` returned.
    var lastOutcome: TrainingOutcome?

    func run(_ variant: RectifierVariant, output: URL, resume: Bool, stopAfter: Int?,
             head: DenseHead = .maskclip) throws -> (Int, [Float]) {
        let model = try tinyCLIP()
        var c = TrainingConfiguration()
        c.head = head
        c.variant = variant; c.epochs = 2; c.batchSize = 2; c.size = 32; c.seed = 4; c.checkpointEvery = 1
        c.cropWindow = 16; c.cropStep = 8
        c.optimiser.learningRate = 0.05
        let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny",
                              cacheFolder: nil, output: output)
        let imgs = Self.images()
        let classifier = try Self.classifier(model)
        let urls = imgs.keys.sorted { $0.path < $1.path }
        let samples = try run.prepare(images: urls, load: { imgs[$0]! }, classifier: classifier, progress: { _ in })!
        XCTAssertTrue(samples.allSatisfy { !$0.pseudoLabels.isEmpty })
        var losses: [Float] = []
        let outcome = try run.train(samples: samples, classifier: classifier, resume: resume,
                                    progress: { losses.append($0.loss) },
                                    shouldStop: { stopAfter.map { losses.count >= $0 } ?? false })
        XCTAssertNil(outcome.shiftTest, "a run of steps has no shift test verdict")
        lastOutcome = outcome
        return (outcome.steps, losses)
    }

    func testStoppedAndResumedRunMatchesUninterruptedRun() throws {
        for variant in RectifierVariant.allCases {
            let dir = try scratchFolder("train")
            let a = dir.appendingPathComponent("a.safetensors"), b = dir.appendingPathComponent("b.safetensors")
            let (stepsA, lossesA) = try run(variant, output: a, resume: false, stopAfter: nil)
            XCTAssertEqual(stepsA, 4)   // 3 images, batch 2: 2 steps per epoch, 2 epochs
            let (stopped, first) = try run(variant, output: b, resume: false, stopAfter: 1)
            XCTAssertEqual(stopped, 1)
            XCTAssertEqual(try Rectifier.load(from: b).metadata["step"], "1")
            // Every rectifier `reclip train` writes records the head whose logits it learnt from.
            XCTAssertEqual(try Rectifier.load(from: b).metadata["head"], "maskclip")
            let (stepsB, rest) = try run(variant, output: b, resume: true, stopAfter: nil)
            XCTAssertEqual(stepsB, 4)
            XCTAssertEqual(first + rest, lossesA, "\(variant) losses")
            let ra = try Rectifier.load(from: a, classes: Self.classes, weightsHash: "tiny")
            let rb = try Rectifier.load(from: b, classes: Self.classes, weightsHash: "tiny")
            for name in ra.parameterNames { XCTAssertEqual(ra.parameter(name), rb.parameter(name), "\(variant) \(name)") }
            XCTAssertThrowsError(try Rectifier.load(from: a, weightsHash: "other weights"))
        }
    }

    /// The last epoch's mean loss (`last_epoch_loss`, `TrainingOutcome.lastEpochLoss`) is the
    /// mean of exactly that epoch's step losses, and is recorded only when the process ran all
    /// of that epoch: a stopped run has none, a run resumed before the last epoch the same as an
    /// uninterrupted one, a run resumed inside it none.
    func testTheLastEpochsMeanLossIsRecordedOnlyForAWholeLastEpoch() throws {
        let dir = try scratchFolder("train-last-epoch")
        let a = dir.appendingPathComponent("a.safetensors")
        let (_, losses) = try run(.reclipPlusPlus, output: a, resume: false, stopAfter: nil)
        XCTAssertEqual(losses.count, 4)
        let mean = (Double(losses[2]) + Double(losses[3])) / 2
        XCTAssertEqual(lastOutcome?.lastEpochLoss, mean)
        XCTAssertEqual(try Rectifier.load(from: a).metadata["last_epoch_loss"], "\(mean)")

        let b = dir.appendingPathComponent("b.safetensors")
        _ = try run(.reclipPlusPlus, output: b, resume: false, stopAfter: 1)
        XCTAssertNil(lastOutcome?.lastEpochLoss)
        XCTAssertNil(try Rectifier.load(from: b).metadata["last_epoch_loss"], "a stopped run")
        _ = try run(.reclipPlusPlus, output: b, resume: true, stopAfter: nil)
        XCTAssertEqual(lastOutcome?.lastEpochLoss, mean, "resumed in the first epoch: the whole last epoch ran here")
        XCTAssertEqual(try Rectifier.load(from: b).metadata["last_epoch_loss"], "\(mean)")

        let c = dir.appendingPathComponent("c.safetensors")
        _ = try run(.reclipPlusPlus, output: c, resume: false, stopAfter: 3)
        _ = try run(.reclipPlusPlus, output: c, resume: true, stopAfter: nil)
        XCTAssertEqual(lastOutcome?.steps, 4)
        XCTAssertNil(lastOutcome?.lastEpochLoss, "resumed inside the last epoch")
        XCTAssertNil(try Rectifier.load(from: c).metadata["last_epoch_loss"])
    }

    func testLastEpochLossCountsOnlyItsStepsAndNeedsAllOfThemFinite() {
        var l = LastEpochLoss(steps: 4..<6, startStep: 0)
        for (step, loss) in [(3, Float(100)), (4, 1), (5, 2), (6, 100)] { l.add(loss, step: step) }
        XCTAssertEqual(l.mean, 1.5)
        var partial = LastEpochLoss(steps: 4..<6, startStep: 0)
        partial.add(1, step: 4)
        XCTAssertNil(partial.mean, "one step of two")
        var late = LastEpochLoss(steps: 4..<6, startStep: 5)
        late.add(2, step: 5)
        XCTAssertNil(late.mean, "resumed after the epoch began")
        var nan = LastEpochLoss(steps: 4..<6, startStep: 0)
        nan.add(.nan, step: 4); nan.add(1, step: 5)
        XCTAssertNil(nan.mean, "a NaN loss")
        var inf = LastEpochLoss(steps: 0..<1, startStep: 0)
        inf.add(.infinity, step: 0)
        XCTAssertNil(inf.mean, "an infinite loss")
    }

    /// `train --head`: a rectifier learnt over another head's logits records that head, trains
    /// on that head's features (so its losses differ from MaskCLIP's), and is refused under a
    /// different head by the segmenter.
    func testARectifierLearnsTheBiasOfTheHeadItIsTrainedOn() throws {
        let dir = try scratchFolder("train-head")
        let s = dir.appendingPathComponent("sclip.safetensors"), m = dir.appendingPathComponent("maskclip.safetensors")
        let (_, sclipLosses) = try run(.reclip, output: s, resume: false, stopAfter: nil, head: .sclip)
        let (_, maskclipLosses) = try run(.reclip, output: m, resume: false, stopAfter: nil)
        XCTAssertNotEqual(sclipLosses, maskclipLosses)
        let r = try Rectifier.load(from: s, classes: Self.classes, weightsHash: "tiny")
        XCTAssertEqual(r.metadata["head"], "sclip")
        let model = try tinyCLIP()
        XCTAssertNoThrow(try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil, head: .sclip))
        XCTAssertThrowsError(try Segmenter(model: model, classes: Self.classes, rectifier: r, classifierCache: nil, head: .maskclip)) { error in
            XCTAssertTrue("\(error)".contains("sclip") && "\(error)".contains("maskclip"), "\(error)")
        }
    }

    func testFeaturesAndPseudoLabelsAreCachedPerImage() throws {
        let model = try tinyCLIP()
        let dir = try scratchFolder("prep")
        var c = TrainingConfiguration(); c.size = 32
        let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny",
                              cacheFolder: dir.appendingPathComponent("cache"), output: dir.appendingPathComponent("r.safetensors"))
        let imgs = Self.images()
        // The cache key needs real files (path, size, mtime); the loader supplies the pixels.
        var files: [URL: RGBImage] = [:]
        for (i, (_, p)) in imgs.sorted(by: { $0.key.path < $1.key.path }).enumerated() {
            let f = dir.appendingPathComponent("\(i).png")
            try Data([UInt8(i)]).write(to: f)
            files[f] = p
        }
        let urls = files.keys.sorted { $0.path < $1.path }
        let classifier = try Self.classifier(model)
        var loads = 0, last: PreparationProgress?
        let first = try run.prepare(images: urls, load: { loads += 1; return files[$0]! }, classifier: classifier,
                                    progress: { last = $0 })!
        XCTAssertEqual(loads, 3); XCTAssertEqual(last?.cached, 0)
        let second = try run.prepare(images: urls, load: { loads += 1; return files[$0]! }, classifier: classifier,
                                     progress: { last = $0 })!
        XCTAssertEqual(loads, 3); XCTAssertEqual(last?.cached, 3)
        XCTAssertEqual(first.map(\.features), second.map(\.features))
        XCTAssertEqual(first.map(\.pseudoLabels), second.map(\.pseudoLabels))
        // An image tower in bf16 computes other features: they are cached apart from fp32's
        // (the same folder, the same settings), never served for them or from them.
        let model16 = model.converted(to: .bf16).model
        let run16 = TrainingRun(model: model16, classes: Self.classes, configuration: c, weightsHash: "tiny",
                                cacheFolder: dir.appendingPathComponent("cache"), output: dir.appendingPathComponent("r.safetensors"))
        _ = try run16.prepare(images: urls, load: { loads += 1; return files[$0]! }, classifier: classifier, progress: { last = $0 })!
        if model16.precision == .bf16 {
            XCTAssertEqual(loads, 6); XCTAssertEqual(last?.cached, 0)
        } else {   // no AVX512_BF16: the model stayed fp32, and so does its cache
            XCTAssertEqual(loads, 3); XCTAssertEqual(last?.cached, 3)
        }
        XCTAssertNil(try run.prepare(images: urls, load: { files[$0]! }, classifier: classifier, progress: { _ in },
                                     shouldStop: { true }))
    }

    /// `--pseudo-labels dense-share`: each image's labels are the classes that raw MaskCLIP's
    /// arg-max over the training crop gives the share (computed here patch by patch from the
    /// features and the classifier), and the file records the rule so that adapting reads it back.
    func testDenseSharePseudoLabelsComeFromTheRawArgMax() throws {
        let dir = try scratchFolder("share")
        let model = try tinyCLIP()
        let classifier = try Self.classifier(model)
        let imgs = Self.images()
        let urls = imgs.keys.sorted { $0.path < $1.path }
        for share: Float in [0.05, 0.3] {
            var c = TrainingConfiguration(); c.size = 32; c.epochs = 1
            c.labelSource = .denseShare; c.labelMinimumShare = share
            XCTAssertEqual(c.effectiveLabelSource, .denseShare)
            let out = dir.appendingPathComponent("r\(share).safetensors")
            let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny", cacheFolder: nil, output: out)
            let samples = try run.prepare(images: urls, load: { imgs[$0]! }, classifier: classifier, progress: { _ in })!
            for (url, sample) in zip(urls, samples) {
                let crop = ImagePreprocessing.centerCropped(ImagePreprocessing.resizedShortSide(imgs[url]!, to: 32), size: 32)
                let dense = model.denseFeatures(ImagePreprocessing.normalized(crop), head: .maskclip).features
                let (h, w, D) = (dense.shape[0], dense.shape[1], dense.shape[2])
                var counts = [Int](repeating: 0, count: Self.classes.count)
                for p in 0..<(h * w) {
                    let f = Array(dense.data[(p * D)..<((p + 1) * D)])
                    let norm = f.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let scores = (0..<classifier.classCount).map { k in
                        (0..<D).reduce(Float(0)) { $0 + f[$1] / norm * classifier.weights[k * D + $1] }
                    }
                    counts[scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }!] += 1
                }
                var expected = counts.indices.filter { Float(counts[$0]) >= share * Float(h * w) }
                if expected.isEmpty { expected = [counts.indices.max { counts[$0] < counts[$1] }!] }
                XCTAssertEqual(sample.pseudoLabels, expected, "\(url.lastPathComponent), share \(share), counts \(counts)")
            }
            try run.train(samples: samples, classifier: classifier, resume: false, progress: { _ in }, shouldStop: { false })
            let written = try Rectifier.load(from: out, classes: Self.classes, weightsHash: "tiny")
            XCTAssertEqual(written.metadata["pseudo_labels"], "dense share, at least \(share)")
            let again = TrainingConfiguration.adapting(written, from: out, images: 5)
            XCTAssertEqual(again.labelSource, .denseShare)
            TestSupport.assertClose(again.labelMinimumShare, share, tolerance: 0)
        }
    }

    /// `--image-labels`: the given classes replace the pseudo labels image by image, the file
    /// is checked against the class list, and the written rectifier records where they came from.
    func testGivenImageLabelsReplaceThePseudoLabels() throws {
        let dir = try scratchFolder("given")
        let file = dir.appendingPathComponent("labels.json").path
        try Data(#"{"0.png": ["chest of drawers", "cat"], "1.png": ["potted plant"], "2.png": ["cat", "cat"]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let given = try GivenImageLabels(contentsOf: file, classes: Self.classes)
        XCTAssertEqual(given.labels, ["0.png": [0, 2], "1.png": [1], "2.png": [0]])
        let model = try tinyCLIP()
        var c = TrainingConfiguration(); c.size = 32; c.epochs = 1; c.givenLabels = given
        let out = dir.appendingPathComponent("r.safetensors")
        let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny", cacheFolder: nil, output: out)
        let imgs = Self.images()
        let urls = imgs.keys.sorted { $0.path < $1.path }
        let classifier = try Self.classifier(model)
        let samples = try run.prepare(images: urls, load: { imgs[$0]! }, classifier: classifier, progress: { _ in })!
        XCTAssertEqual(samples.map(\.pseudoLabels), [[0, 2], [1], [0]])
        try run.train(samples: samples, classifier: classifier, resume: false, progress: { _ in }, shouldStop: { false })
        XCTAssertEqual(try Rectifier.load(from: out, classes: Self.classes, weightsHash: "tiny").metadata["pseudo_labels"], "given: labels.json")

        let missing = URL(fileURLWithPath: "/images/9.png")
        XCTAssertThrowsError(try run.prepare(images: [missing], load: { _ in imgs[urls[0]]! }, classifier: classifier, progress: { _ in })) {
            XCTAssertEqual("\($0)", "labels.json: no labels for 9.png")
        }
        for (text, problem) in [(#"{"0.png": ["dog"]}"#, "0.png names 'dog', which is not one of the run's classes"),
                                (#"{"0.png": []}"#, "0.png has no classes"),
                                (#"["cat"]"#, "not a JSON object from image file names to lists of class names")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            XCTAssertThrowsError(try GivenImageLabels(contentsOf: file, classes: Self.classes)) {
                XCTAssertEqual("\($0)", "\(file): \(problem)")
            }
        }
    }
}
