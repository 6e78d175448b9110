import Pixels
import XCTest
import Math
import TestSupport
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// The feature reference a rectifier file records, the shift test against it, the decoder
/// statistics it re-estimates, and the `.shiftTest` adaptation that joins them.
final class SiteShiftTests: XCTestCase {
    static let classes = TrainingRunTests.classes

    var folder: URL!
    override func setUpWithError() throws { folder = try scratchFolder("shift") }

    func configuration(_ variant: RectifierVariant = .reclipPlusPlus) -> TrainingConfiguration {
        AdaptationTests.configuration(variant)
    }

    func run(_ c: TrainingConfiguration, _ name: String) throws -> TrainingRun {
        try AdaptationTests.run(c, output: folder.appendingPathComponent(name), classes: Self.classes)
    }

    func samples(_ run: TrainingRun) throws -> [TrainingImage] {
        try AdaptationTests.samples(run, classifier: try TrainingRunTests.classifier(run.model))
    }

    @discardableResult
    func train(_ c: TrainingConfiguration, _ name: String) throws -> URL {
        let r = try run(c, name)
        try r.train(samples: try samples(r), classifier: try TrainingRunTests.classifier(r.model), resume: false,
                    progress: { _ in }, shouldStop: { false })
        return r.output
    }

    /// Unit-length columns [D, P] from `columns` (each of length D).
    func channelMajor(_ columns: [[Float]]) -> [Float] {
        let D = columns[0].count, P = columns.count
        var out = [Float](repeating: 0, count: D * P)
        for (p, c) in columns.enumerated() { for d in 0..<D { out[d * P + p] = c[d] } }
        return out
    }

    /// A run from scratch records a reference whose count-weighted class means add up to the sum
    /// of every training patch's feature, whatever the assignment, with one count per patch.
    func testARunFromScratchRecordsItsImagesInTheFeatureSpace() throws {
        for variant in RectifierVariant.allCases {
            let c = configuration(variant)
            let file = try train(c, "\(variant.rawValue).safetensors")
            let r = try Rectifier.load(from: file)
            let ref = try XCTUnwrap(r.featureReference, "\(variant)")
            let model = try tinyCLIP()
            XCTAssertEqual(ref.dimension, model.architecture.embedDim)
            XCTAssertEqual(ref.classCount, Self.classes.count)
            let prepared = try samples(try run(c, "unused"))
            let D = ref.dimension
            XCTAssertEqual(ref.patchCounts.reduce(0, +), prepared.reduce(0) { $0 + $1.features.count / D })
            var total = [Double](repeating: 0, count: D), weighted = [Double](repeating: 0, count: D)
            for s in prepared {
                let P = s.features.count / D
                for d in 0..<D { for p in 0..<P { total[d] += Double(s.features[d * P + p]) } }
            }
            for k in 0..<ref.classCount { for d in 0..<D { weighted[d] += Double(ref.patchCounts[k]) * Double(ref.classMeans[k * D + d]) } }
            TestSupport.assertClose(weighted, total, tolerance: 1e-3, "sum_k n_k mu_k = sum_p f_p (\(variant))")
            // A run from a start keeps the start's reference.
            var a = configuration(variant); a.initialisation = file; a.optimiser.learningRate = 1e-6
            XCTAssertEqual(try Rectifier.load(from: try train(a, "adapted-\(variant.rawValue).safetensors")).featureReference, ref)
        }
    }

    /// The reference survives a save and a load; a malformed one is a one-line error naming the
    /// file and the tensor; one of another width than the CLIP's is refused by `checkCompatible`.
    func testTheReferenceRoundTripsAndMalformedOnesAreRefused() throws {
        let file = try train(configuration(), "r.safetensors")
        var r = try Rectifier.load(from: file)
        let K = Self.classes.count, D = r.featureReference!.dimension
        let ref = FeatureReference(classCount: K, dimension: D, classMeans: (0..<(K * D)).map { Float($0) / 100 }, patchCounts: [60, 0, 7])
        r.featureReference = ref
        try r.save(to: file)
        XCTAssertEqual(try Rectifier.load(from: file).featureReference, ref)
        XCTAssertEqual(ref.hullVertices.count, 1, "only the class with at least \(FeatureReference.minimumPatches) patches")

        func refused(_ means: Tensor?, _ counts: Tensor?, _ expected: String, line: UInt = #line) throws {
            let bad = folder.appendingPathComponent("bad.safetensors")
            var tensors = r.authorsTensors()
            if let means { tensors[FeatureReference.meansTensor] = means }
            if let counts { tensors[FeatureReference.countsTensor] = counts }
            try SafeTensorsWriter.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                                        metadata: r.metadata.merging(["variant": "reclip++", "classes": try MetadataJSON.text(Self.classes)]) { $1 },
                                        to: bad.path)
            XCTAssertThrowsError(try Rectifier.load(from: bad), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(bad.path + ":"), text, line: line)
                XCTAssertTrue(text.contains(expected), "\(text) should say \(expected)", line: line)
                XCTAssertFalse(text.contains("\n"), text, line: line)
            }
        }
        let means = Tensor(shape: [K, D], data: ref.classMeans), counts = Tensor(shape: [K], data: [60, 0, 7])
        try refused(means, nil, "without \(FeatureReference.countsTensor)")
        try refused(nil, counts, "without \(FeatureReference.meansTensor)")
        try refused(Tensor(shape: [K + 1, D], data: [Float](repeating: 0, count: (K + 1) * D)), counts, "expected [\(K), D]")
        try refused(means, Tensor(shape: [K, 1], data: [1, 2, 3]), "expected [\(K)]")
        var nan = ref.classMeans; nan[5] = .nan
        try refused(Tensor(shape: [K, D], data: nan), counts, "not finite")
        try refused(means, Tensor(shape: [K], data: [60, 0.5, 7]), "0.5 is not a whole number")
        try refused(means, Tensor(shape: [K], data: [60, -1, 7]), "-1.0 is not a whole number")
        try refused(means, Tensor(shape: [K], data: [60, .infinity, 7]), "inf is not a whole number")

        var wide = r
        wide.featureReference = FeatureReference(classCount: K, dimension: D + 1, classMeans: [Float](repeating: 0, count: K * (D + 1)),
                                                 patchCounts: [60, 60, 60])
        XCTAssertThrowsError(try wide.checkCompatible(with: try tinyCLIP())) { error in
            XCTAssertTrue("\(error)".contains("class means of \(D + 1) values"), "\(error)")
        }
    }

    /// A site whose patches are the reference's class means, in any mix, lies on the hull; moved
    /// off the means' span by h it lies h from it, and the test fires over its threshold. A class
    /// with fewer than `minimumPatches` patches is no vertex.
    func testTheShiftTestMeasuresTheDistanceOffTheHullOfClassMeans() {
        let D = 8, K = 4
        var rng = SplitMix64(seed: 5)
        // Class means in the first three coordinates; the fourth class, far off, has few patches.
        var means: [[Float]] = (0..<3).map { _ in (0..<3).map { _ in Float.random(in: -1...1, using: &rng) } + [Float](repeating: 0, count: D - 3) }
        means.append([Float](repeating: 0, count: D - 1) + [5])
        let ref = FeatureReference(classCount: K, dimension: D, classMeans: means.flatMap { $0 }, patchCounts: [80, 200, 50, 49])
        var site: [[Float]] = []
        for image in 0..<4 {
            site.append(channelMajor((0..<(10 + image)).map { p in means[(p * (image + 1)) % 3] }))
        }
        let mixed = SiteShift(reference: ref, features: site, threshold: 0.01)
        XCTAssertLessThan(mixed.residual, 1e-4)
        XCTAssertFalse(mixed.isCameraShift)
        XCTAssertEqual(mixed.images, 4)
        let h: Float = 0.3
        let shifted = site.map { f -> [Float] in
            var g = f
            let P = f.count / D
            for p in 0..<P { g[(D - 2) * P + p] += h }   // coordinate D - 2: orthogonal to every vertex
            return g
        }
        let moved = SiteShift(reference: ref, features: shifted, threshold: 0.2)
        TestSupport.assertClose(moved.residual, Double(h), tolerance: 1e-4)
        XCTAssertTrue(moved.isCameraShift)
        XCTAssertFalse(SiteShift(reference: ref, features: shifted, threshold: 0.35).isCameraShift)
        XCTAssertTrue(moved.summary.contains("camera shift"), moved.summary)
        XCTAssertEqual(SiteShift.summary(recordedIn: moved.record), moved.summary)
        XCTAssertEqual(moved.record["shift_test_residual"], String(format: "%.4f", Double(moved.residual)))
    }

    /// Three class means on the first three axes of a 6-dimensional feature space, 90 patches each.
    static let axisReference: (means: [[Float]], reference: FeatureReference) = {
        let means: [[Float]] = [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]]
        return (means, FeatureReference(classCount: 3, dimension: 6, classMeans: means.flatMap { $0 }, patchCounts: [90, 90, 90]))
    }()

    /// The summary says a decision on fewer than `reliableImages` images is uncertain, and only then.
    func testTheSummaryFlagsAFewImageDecision() {
        let (means, ref) = Self.axisReference
        let image = channelMajor((0..<9).map { means[$0 % 3] })
        for n in [1, SiteShift.reliableImages - 1, SiteShift.reliableImages, 40] {
            let s = SiteShift(reference: ref, features: [[Float]](repeating: image, count: n))
            XCTAssertTrue(s.summary.hasPrefix("shift test on \(n) image(s): "), s.summary)
            XCTAssertEqual(s.summary.contains("uncertain under \(SiteShift.reliableImages) images"), n < SiteShift.reliableImages, s.summary)
            XCTAssertFalse(s.summary.contains("\n"), "one line")
        }
    }

    /// The debiased residual is the jackknife of the squared distance: where the site's images
    /// share one point inside the hull and differ only by offsets o_i off the means' span, it is
    /// the unbiased sum_{i != j} o_i o_j / (N (N - 1)), under the plain residual |mean o|; zero
    /// when the offsets cancel; the residual itself for one image.
    func testTheDebiasedResidualTakesTheSamplingNoiseOut() {
        let (means, ref) = Self.axisReference
        func site(_ offsets: [Float]) -> [[Float]] {
            offsets.map { o in
                channelMajor((0..<9).map { p -> [Float] in var f = means[p % 3]; f[4] += o; return f })
            }
        }
        let o: [Double] = [0.3, 0.1, 0.25, 0.05]
        let s = SiteShift(reference: ref, features: site(o.map(Float.init)), threshold: 0.17)
        let sum = o.reduce(0, +), squares = o.reduce(0) { $0 + $1 * $1 }
        TestSupport.assertClose(s.residual, sum / 4, tolerance: 1e-5)
        TestSupport.assertClose(s.debiasedResidual, ((sum * sum - squares) / 12).squareRoot(), tolerance: 1e-5)
        XCTAssertTrue(s.residual > 0.17 && !s.isCameraShift, "the decision reads the debiased residual: \(s)")
        XCTAssertTrue(s.summary.contains(String(format: "%.3f <= 0.17", s.debiasedResidual)), s.summary)
        XCTAssertEqual(s.record["shift_test_debiased_residual"], String(format: "%.4f", s.debiasedResidual))
        let cancelling = SiteShift(reference: ref, features: site([0.2, -0.2]))
        XCTAssertLessThan(cancelling.residual, 1e-5)
        XCTAssertEqual(cancelling.debiasedResidual, 0, "max(0, ...) of a negative estimate")
        let one = SiteShift(reference: ref, features: site([0.2]))
        XCTAssertEqual(one.debiasedResidual, one.residual)
        TestSupport.assertClose(one.residual, 0.2, tolerance: 1e-5)
    }

    /// Pooled statistics equal a two-pass mean and unbiased variance over every pixel of every
    /// image; applying them sets only the decoder's running statistics.
    func testDecoderStatisticsArePooledOverEveryPixel() throws {
        var rng = SplitMix64(seed: 8)
        let K = 3
        let images = [5, 9, 1].map { P in (0..<(K * P)).map { _ in Float.random(in: -4...9, using: &rng) } }
        let s = DecoderStatistics(preActivations: images, channels: K)
        XCTAssertEqual(s.count, 15)
        for k in 0..<K {
            let values = images.flatMap { y -> [Double] in let P = y.count / K; return (0..<P).map { Double(y[k * P + $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            TestSupport.assertClose(s.mean[k], mean, tolerance: 1e-5, "mean \(k)")
            TestSupport.assertClose(s.variance[k], variance, tolerance: 1e-4, "variance \(k)")
        }
        let r = try Rectifier.load(from: try train(configuration(), "r.safetensors"))
        let a = s.applied(to: r)
        XCTAssertEqual(a.decoder!.norm.runningMean, s.mean)
        XCTAssertEqual(a.decoder!.norm.runningVar, s.variance)
        XCTAssertEqual(a.decoder!.weight, r.decoder!.weight)
        XCTAssertEqual(a.decoder!.norm.weight, r.decoder!.norm.weight)
    }

    /// `.shiftTest` takes no step: below the threshold the written rectifier is the start's,
    /// tensor for tensor; above it only the decoder's running statistics change, to the site's,
    /// so that the decoder's output at alpha 1 over the site has channel means beta and variances
    /// gamma^2 var / (var + eps) (n - 1) / n (AdaBN), computed here through `BiasMaps`' own path.
    /// The file records the test and keeps the start's training record.
    func testTheShiftTestAdaptationKeepsOrReestimatesOnlyTheDecoderStatistics() throws {
        let startFile = try train(configuration(), "start.safetensors")
        var start = try Rectifier.load(from: startFile)
        let K = Self.classes.count, D = start.featureReference!.dimension
        var rng = SplitMix64(seed: 2)
        start.featureReference = FeatureReference(classCount: K, dimension: D,
                                                  classMeans: (0..<(K * D)).map { _ in Float.random(in: -0.2...0.2, using: &rng) },
                                                  patchCounts: [100, 100, 100])
        try start.save(to: startFile)
        var c = configuration(); c.initialisation = startFile; c.adaptation = .shiftTest
        XCTAssertFalse(c.needsPseudoLabels)

        c.shiftThreshold = 2
        let kept = try Rectifier.load(from: try train(c, "kept.safetensors"))
        for name in start.parameterNames { XCTAssertEqual(kept.parameter(name), start.parameter(name), name) }
        XCTAssertEqual(kept.decoder!.norm.runningMean, start.decoder!.norm.runningMean)
        XCTAssertEqual(kept.decoder!.norm.runningVar, start.decoder!.norm.runningVar)
        XCTAssertEqual(kept.featureReference, start.featureReference)
        XCTAssertEqual(kept.metadata["adaptation"], "shift-test")
        XCTAssertEqual(kept.metadata["adapted_images"], "3")
        XCTAssertEqual(kept.metadata["epochs"], start.metadata["epochs"], "the start's training record")
        XCTAssertTrue(kept.metadata["shift_test"]?.contains("kept") == true, "\(kept.metadata)")

        c.shiftThreshold = 0
        let r = try run(c, "adapted.safetensors")
        let site = try samples(r)
        XCTAssertTrue(site.allSatisfy { $0.pseudoLabels.isEmpty }, "the shift test reads no pseudo labels")
        let outcome = try r.train(samples: site, classifier: try TrainingRunTests.classifier(r.model), resume: false,
                                  progress: { _ in XCTFail("no step") }, shouldStop: { false })
        let adapted = try Rectifier.load(from: r.output)
        XCTAssertEqual(outcome.steps, 0)
        XCTAssertEqual(outcome.shiftTest, SiteShift.summary(recordedIn: adapted.metadata), "the verdict returned is the one recorded")
        for name in start.parameterNames { XCTAssertEqual(adapted.parameter(name), start.parameter(name), name) }
        XCTAssertNotEqual(adapted.decoder!.norm.runningMean, start.decoder!.norm.runningMean)
        XCTAssertTrue(adapted.metadata["shift_test"]?.contains("re-estimated") == true, "\(adapted.metadata)")
        let norm = adapted.decoder!.norm
        let reference = adapted.referenceEmbeddings(nameTokens: try r.nameTokens(), model: r.model)
        let g = r.gridSide, P = g * g
        var sum = [Double](repeating: 0, count: K), squares = [Double](repeating: 0, count: K)
        for s in site {
            let maps = BiasMaps(features: s.features, classifier: try TrainingRunTests.classifier(r.model).weights, reference: reference,
                                positional: r.positional, rectifier: adapted, h: g, w: g)
            let out = SegmentationMaps(maps, classNames: Self.classes, gridWidth: g, gridHeight: g).output(alpha: 1)
            for k in 0..<K { for p in 0..<P { let v = Double(out[k * P + p]); sum[k] += v; squares[k] += v * v } }
        }
        let n = Double(site.count * P)
        for k in 0..<K {
            let mean = sum[k] / n, variance = squares[k] / n - mean * mean
            let v = Double(norm.runningVar[k]), gamma = Double(norm.weight[k])
            TestSupport.assertClose(mean, Double(norm.bias[k]), tolerance: 1e-3 * max(1, abs(gamma)), "channel \(k) mean")
            TestSupport.assertClose(variance, gamma * gamma * v / (v + Double(norm.eps)) * (n - 1) / n,
                                    tolerance: 1e-3 * max(1, gamma * gamma), "channel \(k) variance")
        }
    }

    /// The shift test needs a start, a decoder and a reference; `adapting` picks it exactly
    /// for a ReCLIP++ start that records a reference.
    func testTheShiftTestIsChosenWhereItCanRunAndRefusedElsewhere() throws {
        let plusPlus = try train(configuration(), "pp.safetensors")
        let reclip = try train(configuration(.reclip), "r.safetensors")
        var bare = try Rectifier.load(from: plusPlus)
        bare.featureReference = nil
        let bareFile = folder.appendingPathComponent("bare.safetensors")
        try bare.save(to: bareFile)
        XCTAssertEqual(TrainingConfiguration.adapting(try Rectifier.load(from: plusPlus), from: plusPlus, images: 5).adaptation, .shiftTest)
        XCTAssertEqual(TrainingConfiguration.adapting(bare, from: bareFile, images: 5).adaptation, .steps)
        XCTAssertEqual(TrainingConfiguration.adapting(try Rectifier.load(from: reclip), from: reclip, images: 5).adaptation, .steps)

        func refusal(_ c: TrainingConfiguration, _ expected: String, line: UInt = #line) throws {
            let r = try run(c, "out.safetensors")
            XCTAssertThrowsError(try r.train(samples: try samples(r), classifier: try TrainingRunTests.classifier(r.model), resume: false,
                                             progress: { _ in }, shouldStop: { false }), line: line) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: r.output.path), "nothing written", line: line)
        }
        var c = configuration(); c.adaptation = .shiftTest
        try refusal(c, "give the one to start from")
        c.initialisation = bareFile
        try refusal(c, "bare.safetensors: the shift test needs a ReCLIP++ rectifier whose file records its feature reference")
        var d = configuration(.reclip); d.adaptation = .shiftTest; d.initialisation = reclip
        try refusal(d, "the shift test needs a ReCLIP++ rectifier")
    }
}
