import XCTest
import Datasets
import Segmentation

/// The committed default model (`models/world/`) shows the biases its world was built with,
/// and raw MaskCLIP with it segments world scenes better than chance. These tests need the
/// model files: they fail, naming the missing file, when the model is not there.
final class DefaultModelTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL
    static let samples = repository.appendingPathComponent("samples/world")
    static let classes = BundledModel.classes

    /// The bundled model as the commands find it from the repository root.
    static func bundled() throws -> BundledModel {
        try BundledModel.locate(executable: "/nonexistent/reclip", currentDirectory: repository.path)
    }

    static func segmenter(_ variant: RectifierVariant?) throws -> Segmenter {
        let model = try bundled()
        let clip = try CLIPModel(contentsOf: model.weights.path)
        let hash = try WeightsIdentity.contentHash(of: model.weights, memo: nil)
        let rectifier = try variant.map { try Rectifier.load(from: model.rectifier($0), classes: classes, weightsHash: hash) }
        return try Segmenter(model: clip, classes: classes, rectifier: rectifier, classifierCache: nil)
    }

    /// The bundled world samples with their ground truth.
    static func sampleScenes() throws -> [(pixels: RGBPixels, labels: [UInt8])] {
        let data = try VOCDataset(root: samples)
        XCTAssertEqual(data.classes, classes)
        return try data.layout.imageIDs(split: "val").map { id in
            let (image, labels) = try data.sample(id)
            return (RGBPixels(width: image.width, height: image.height, data: image.pixels), labels)
        }
    }

    /// Mean over the grid rows `rows` of class `k`'s plane of a class-major [K, h, w] map.
    static func mean(_ map: [Float], class k: Int, rows: Range<Int>, maps: SegmentationMaps) -> Float {
        let w = maps.gridWidth, plane = w * maps.gridHeight
        var s: Float = 0
        for y in rows { for x in 0..<w { s += map[k * plane + y * w + x] } }
        return s / Float(rows.count * w)
    }

    /// ReCLIP's space bias (projNet of the positional embeddings; the explorer's default rectifier).
    func testSpacePreferenceOfSkyIsHigherAtTheTop() throws {
        let scene = try XCTUnwrap(Self.sampleScenes().first)
        for variant in [RectifierVariant.reclip] {
            let maps = try Self.segmenter(variant).segment(scene.pixels, size: BundledModel.imageSize)
            let space = try XCTUnwrap(maps.spaceBias)
            let h = maps.gridHeight, third = h / 3
            let top = Self.mean(space, class: 0, rows: 0..<third, maps: maps)
            let bottom = Self.mean(space, class: 0, rows: (h - third)..<h, maps: maps)
            XCTAssertGreaterThan(top, bottom, "\(variant): sky's space bias, top third \(top) vs bottom third \(bottom)")
        }
    }

    /// Class preference is a per-pixel bias, so classes are over- or under-represented by the
    /// share of the training world's pixels they cover (sky 24 %, grass 23 % ... car 1.4 %,
    /// boat 0.3 %).
    func testClassPreferenceRanksFrequentClassesAboveRareOnes() throws {
        var statistics = WorldStatistics()
        for scene in WorldGenerator(seed: 2024).scenes(0..<300) { statistics.add(scene) }
        let share = WorldClass.allCases.map { statistics.pixelShare($0) }
        let scenes = try Self.sampleScenes()
        let segmenter = try Self.segmenter(.reclip)
        var preference = [Double](repeating: 0, count: Self.classes.count)
        for scene in scenes {
            let maps = try segmenter.segment(scene.pixels, size: BundledModel.imageSize)
            let classBias = try XCTUnwrap(maps.classBias)
            for k in preference.indices {
                preference[k] += Double(Self.mean(classBias, class: k, rows: 0..<maps.gridHeight, maps: maps)) / Double(scenes.count)
            }
        }
        // Every pair of the two classes covering most pixels and the two covering fewest is
        // ordered by pixel share in the world and by class bias in the model, and the ranks
        // agree overall.
        let frequent: [WorldClass] = [.sky, .grass], rare: [WorldClass] = [.car, .boat]
        let index = { (c: WorldClass) in WorldClass.allCases.firstIndex(of: c)! }
        let rho = Self.spearman(share, preference)
        for f in frequent {
            for r in rare {
                XCTAssertGreaterThan(share[index(f)], share[index(r)], "world pixel share \(f.name) vs \(r.name)")
                XCTAssertGreaterThan(preference[index(f)], preference[index(r)],
                                     "class bias \(f.name) vs \(r.name): \(preference); Spearman with pixel share \(rho)")
            }
        }
        XCTAssertGreaterThan(rho, 0.3, "Spearman of class bias with pixel share: \(preference)")
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
