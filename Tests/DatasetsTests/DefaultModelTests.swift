import Pixels
import XCTest
import Datasets
import CLIP
import ReCLIP
import SceneWorld

/// The committed default model (`models/world/`) shows the biases its world was built with,
/// its rectifier corrects where they pull the raw masks wrong, and raw MaskCLIP with it segments
/// world scenes better than chance. These tests need the
/// model files: they fail, naming the missing file, when the model is not there.
final class DefaultModelTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL
    static let samples = repository.appendingPathComponent("samples/world")
    static let classes = BundledModel.classes

    /// The bundled model as a build of this repository finds it (beside `.build/<config>/reclip`).
    static func bundled() throws -> BundledModel {
        try BundledModel.locate(executable: repository.appendingPathComponent(".build/release/reclip").path)
    }

    static func segmenter(_ variant: RectifierVariant?) throws -> Segmenter {
        let model = try bundled()
        let clip = try CLIPModel(contentsOf: model.weights.path)
        let hash = try WeightsIdentity.contentHash(of: model.weights, memo: nil)
        let rectifier = try variant.map { try Rectifier.load(from: model.rectifier($0), classes: classes, weightsHash: hash) }
        return try Segmenter(model: clip, classes: classes, rectifier: rectifier, classifierCache: nil)
    }

    /// The bundled world samples with their ground truth.
    static func sampleScenes() throws -> [(pixels: RGBImage, labels: [UInt8])] {
        let data = try VOCDataset(root: samples)
        XCTAssertEqual(data.classes, classes)
        return try data.layout.imageIDs(split: "val").map { id in
            let (image, labels) = try data.sample(id)
            return (image, labels)
        }
    }

    /// Mean over the grid rows `rows` of class `k`'s plane of a class-major [K, h, w] map.
    static func mean(_ map: [Float], class k: Int, rows: Range<Int>, maps: SegmentationMaps) -> Float {
        let w = maps.gridWidth, plane = w * maps.gridHeight
        var s: Float = 0
        for y in rows { for x in 0..<w { s += map[k * plane + y * w + x] } }
        return s / Float(rows.count * w)
    }

    /// The labels of every sample at `alpha` (0: raw MaskCLIP) with `variant`'s rectifier.
    static func sampleLabels(_ variant: RectifierVariant?, alpha: Float) throws -> [(labels: [Int32], height: Int, width: Int)] {
        let segmenter = try segmenter(variant)
        return try sampleScenes().map { scene in
            let maps = try segmenter.segment(scene.pixels, size: BundledModel.imageSize)
            return (maps.labels(alpha: alpha, width: scene.pixels.width, height: scene.pixels.height), scene.pixels.height, scene.pixels.width)
        }
    }

    /// Share of the pixels of rows `rows(height)` labelled `k`, averaged over the samples.
    static func share(of k: Int32, _ masks: [(labels: [Int32], height: Int, width: Int)], rows: (Int) -> Range<Int>) -> Double {
        masks.map { m in
            let r = rows(m.height)
            let hits = r.reduce(0) { total, y in total + (0..<m.width).filter { m.labels[y * m.width + $0] == k }.count }
            return Double(hits) / Double(r.count * m.width)
        }.reduce(0, +) / Double(masks.count)
    }

    // These two tests describe the model made in session 9 (patch-mean CLIP, docs/world.md) and
    // were written after measuring it. The earlier model's rectifier learned a sky space bias
    // higher at the top and a class bias ranking frequent classes first; this one does not (its
    // sky bias is 0.02 in the top third against 0.41 in the bottom third, and the class bias's
    // rank correlation with pixel share is 0.20), because its raw masks already put sky at the
    // top and what is left to correct is sky at the bottom (reflections in water).

    /// Space preference: the raw CLIP puts sky in the top third of the samples (the world's
    /// horizon bias), and ReCLIP's learned space bias for sky, higher in the bottom third, takes
    /// sky out of the bottom rows where the raw masks put it. (The rectifiers of session 15,
    /// trained on dense-share pseudo labels, take less of it than session 9's did: 4.2 % of the
    /// bottom third raw, 3.8 % rectified, where the earlier ReCLIP left under 2.1 %.)
    func testSpacePreferenceOfSkyIsLearnedAndRemovesSkyFromTheBottom() throws {
        let raw = try Self.sampleLabels(nil, alpha: 0), rect = try Self.sampleLabels(.reclip, alpha: 1)
        let top = { (h: Int) in 0..<(h / 3) }, bottom = { (h: Int) in (h - h / 3)..<h }
        let rawTop = Self.share(of: 0, raw, rows: top), rawBottom = Self.share(of: 0, raw, rows: bottom)
        XCTAssertGreaterThan(rawTop, 0.5, "raw sky share in the top third")
        XCTAssertLessThan(rawBottom, 0.1, "raw sky share in the bottom third")
        let rectBottom = Self.share(of: 0, rect, rows: bottom)
        XCTAssertLessThan(rectBottom, rawBottom * 0.95, "rectified sky share in the bottom third \(rectBottom) vs raw \(rawBottom)")
        let scene = try XCTUnwrap(Self.sampleScenes().first)
        let maps = try Self.segmenter(.reclip).segment(scene.pixels, size: BundledModel.imageSize)
        let space = try XCTUnwrap(maps.spaceBias)
        let h = maps.gridHeight, third = h / 3
        let biasTop = Self.mean(space, class: 0, rows: 0..<third, maps: maps)
        let biasBottom = Self.mean(space, class: 0, rows: (h - third)..<h, maps: maps)
        XCTAssertGreaterThan(biasBottom, biasTop, "sky's space bias, bottom third \(biasBottom) vs top third \(biasTop)")
    }

    /// Class preference: raw MaskCLIP's class shares on the samples rank like the share of the
    /// training world's pixels each class covers (sky 24 %, grass 23 % ... car 1.7 %, boat 0.4 %).
    func testRawClassSharesFollowTheWorldsClassFrequencies() throws {
        var statistics = WorldStatistics()
        for scene in WorldGenerator(seed: 2024).scenes(0..<300) { statistics.add(scene) }
        let world = WorldClass.allCases.map { statistics.pixelShare($0) }
        let raw = try Self.sampleLabels(nil, alpha: 0)
        let shares = (0..<Self.classes.count).map { k in Self.share(of: Int32(k), raw, rows: { 0..<$0 }) }
        let rho = Self.spearman(world, shares)
        XCTAssertGreaterThan(rho, 0.5, "Spearman of raw class shares \(shares) with world pixel shares \(world)")
        let index = { (c: WorldClass) in WorldClass.allCases.firstIndex(of: c)! }
        for f in [WorldClass.sky, .grass] { for r in [WorldClass.cloud, .boat] {
            XCTAssertGreaterThan(shares[index(f)], shares[index(r)], "raw share \(f.name) vs \(r.name)")
        } }
    }

    func testRawMaskCLIPAgreesWithGroundTruthAboveChance() throws {
        let segmenter = try Self.segmenter(nil)
        let K = Self.classes.count
        var correct = 0, labelled = 0
        var predicted = [Int](repeating: 0, count: K), truth = [Int](repeating: 0, count: K)
        for scene in try Self.sampleScenes() {
            let maps = try segmenter.segment(scene.pixels, size: BundledModel.imageSize)
            let labels = maps.labels(alpha: 0, width: scene.pixels.width, height: scene.pixels.height)
            for (p, g) in zip(labels, scene.labels) where g != 255 {
                labelled += 1
                predicted[Int(p)] += 1
                truth[Int(g)] += 1
                if Int(p) == Int(g) { correct += 1 }
            }
        }
        let accuracy = Double(correct) / Double(labelled)
        // Chance agreement: a prediction with the same class shares but placed independently of the scene.
        let chance = zip(predicted, truth).map { Double($0) * Double($1) }.reduce(0, +) / Double(labelled * labelled)
        XCTAssertGreaterThan(accuracy, chance + 0.1, "pixel accuracy \(accuracy), chance agreement \(chance)")
    }

    /// Spearman's rank correlation (average ranks for ties).
    static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        let ra = averageRanks(a), rb = averageRanks(b), n = Double(a.count)
        let ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        let cov = zip(ra, rb).map { ($0 - ma) * ($1 - mb) }.reduce(0, +)
        let va = ra.map { ($0 - ma) * ($0 - ma) }.reduce(0, +), vb = rb.map { ($0 - mb) * ($0 - mb) }.reduce(0, +)
        return cov / (va * vb).squareRoot()
    }
}
