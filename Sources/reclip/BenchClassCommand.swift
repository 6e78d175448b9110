import Pixels
import Datasets
import ArgumentParser
import Foundation
import TUI
import FileIO
import CLIP
import ReCLIP
import SceneWorld

/// `reclip bench class`: what typing a class costs in the explorer with the bundled model, on
/// the explorer's own engine (`SegmenterEngine`): from the new class list to a redrawn frame
/// (text classifier for the list, the rectifier moved to it, the image segmented, the frame
/// composed), with a class never seen (its 85 templates through the text tower) and one whose
/// classifier is already cached on disk. The cache is a scratch folder, so the first case is
/// never served by an earlier run.
struct BenchClass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "class",
        abstract: "Time adding a class in the explorer with the bundled model: seconds from the new class list to a redrawn frame.")

    @Option(help: "The class to add.") var name: String = "lighthouse"
    @Option(help: "Times to repeat each measurement (the median is printed).") var repeats: Int = 3

    func validate() throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 60 else {
            throw ValidationError("--name: use a class name of 1...60 characters")
        }
        try OptionRange.check(repeats, in: 1...20, "--repeats")
    }

    func run() async throws {
        let bundled = try BundledModel.locate(executable: BundledFolder.currentExecutable)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reclip-bench-class-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let picture = WorldGenerator(seed: 2033).scene(index: 0).image
        let trained = BundledModel.classes, grown = trained + [name]

        /// Seconds from asking for `classes` to a frame drawn with the result, on `engine`.
        func toFrame(_ engine: SegmenterEngine, _ classes: [String]) async throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            let maps = try await engine.segment(picture, classes: classes, readout: Readout()) { _ in }
            var state = ExplorerState(entries: [ImageEntry(url: URL(fileURLWithPath: "scene.png"))], classes: classes,
                                      model: engine.info, width: 200, height: 60)
            state.pictures[0] = picture
            state.segmentations[0] = .done(maps, seconds: 0)
            _ = ExplorerFrame(state: state).grid
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        func engine(_ folder: URL) -> SegmenterEngine {
            SegmenterEngine(weights: bundled.weights, rectifier: bundled.rectifier(bundled.defaultVariant),
                            rectifierVariant: bundled.defaultVariant == .reclip ? "ReCLIP" : "ReCLIP++", size: BundledModel.imageSize, bundled: true,
                            classifierFolder: folder)
        }
        var first: [Double] = [], unseen: [Double] = [], cached: [Double] = []
        for r in 0..<repeats {
            // A fresh scratch cache each round: the model is loaded and hashed, every class is new.
            let folder = scratch.appendingPathComponent("round\(r)", isDirectory: true)
            let explorer = engine(folder)
            first.append(try await toFrame(explorer, trained))
            unseen.append(try await toFrame(explorer, grown))
            // The same list again in a new session: the classifier comes from the disk cache.
            cached.append(try await toFrame(engine(folder), grown))
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        print(String(format: "adding \"%@\" to the %d bundled classes (%@, %d px, 200x60 frame, median of %d): first frame %.2f s (model load, hash, %d classifiers); new class to a redrawn frame %.3f s; the same list with its classifier cached, in a new session %.2f s (model load included)",
                     name, trained.count, bundled.defaultVariant.rawValue, BundledModel.imageSize, repeats,
                     median(first), trained.count, median(unseen), median(cached)))
    }
}
