import Pixels
import ArgumentParser
import Datasets
import Foundation
import Render
import TUI
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// `reclip bench dataset`: what the explorer's dataset view (view 5) costs with the bundled
/// model: the model and text classifier ready, then every scene segmented and scored raw
/// against rectified, then a new alpha re-scored from the cached maps.
struct BenchDataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Time the dataset view's work on world scenes with the bundled model: first result, all scenes, and a re-score at a new alpha.")

    @Option(help: "World scenes to score (the bundled samples are the first 24 of world 2033).") var scenes: Int = 24

    func validate() throws {
        guard (1...1000).contains(scenes) else { throw ValidationError("--scenes: use 1...1000") }
    }

    func run() throws {
        let bundled = try BundledModel.locate(executable: BundledFolder.currentExecutable)
        let start = Date()
        let model = try CLIPModel(contentsOf: bundled.weights.path)
        let hash = try WeightsIdentity.contentHash(of: bundled.weights, memo: ClassifierCache.defaultFolder)
        let rectifier = try Rectifier.load(from: bundled.rectifier(bundled.defaultVariant), classes: BundledModel.classes, weightsHash: hash)
        let segmenter = try Segmenter(model: model, classes: BundledModel.classes, rectifier: rectifier,
                                      classifierCache: ClassifierCache(weightsHash: hash))
        let ready = Date().timeIntervalSince(start)
        let world = WorldGenerator(seed: 2033)
        var maps: [(SegmentationMaps, ClassMask)] = []
        var first = 0.0
        let sweep = Date()
        for i in 0..<scenes {
            let scene = world.scene(index: i)
            let m = try segmenter.segment(scene.image, size: BundledModel.imageSize,
                                             imageLogits: true)   // as the explorer asks for them
            let truth = ClassMask(width: scene.width, height: scene.height, labels: scene.labels)
            _ = ImageScores.measure(m, alpha: 1, truth: truth, width: scene.width, height: scene.height)
            if i == 0 { first = Date().timeIntervalSince(start) }
            maps.append((m, truth))
        }
        let all = Date().timeIntervalSince(sweep)
        let rescore = Date()
        for (m, truth) in maps { _ = ImageScores.measure(m, alpha: 0.9, truth: truth, width: truth.width, height: truth.height) }
        let again = Date().timeIntervalSince(rescore)
        let bare = Date()
        for (m, truth) in maps {
            _ = ImageScores.measure(m, alpha: 0.9, truth: truth, width: truth.width, height: truth.height, curves: false)
        }
        let withoutCurves = Date().timeIntervalSince(bare)
        print(String(format: "dataset view, %d scenes, bundled model (%@): model ready %.2f s, first result %.2f s, all scenes %.2f s (%.0f ms a scene), new alpha re-scored in %.1f ms with the 21-alpha curves (%.1f ms without)",
                     scenes, bundled.defaultVariant.rawValue, ready, first, all, 1000 * all / Double(scenes), 1000 * again,
                     1000 * withoutCurves))
    }
}
