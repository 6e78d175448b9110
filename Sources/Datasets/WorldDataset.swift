import Pixels
import Foundation
import Math
import Render
import FileIO
import CLIP
import ReCLIP
import SceneWorld

/// Writes scenes of a `WorldGenerator` as a PASCAL VOC-layout dataset that `reclip eval`
/// and the explorer read like any other:
///
/// ```
/// OUT/JPEGImages/world_000000.png           RGB image
/// OUT/SegmentationClass/world_000000.png    VOC-palette PNG, index = class, 255 = ignore
/// OUT/ImageSets/Segmentation/val.txt        ids of the validation split (the first ones)
/// OUT/ImageSets/Segmentation/train.txt      ids of the training split (the rest)
/// OUT/classes.txt                           one class name per line, index 0 first
/// OUT/captions.txt                          id <TAB> caption
/// OUT/world.json                            seed, size, count and biases that made it
/// ```
///
/// Every file is written atomically; the same world and count give identical bytes.
///
/// ```swift
/// let summary = try WorldDataset.write(WorldGenerator(seed: 7), count: 24, to: URL(fileURLWithPath: "out"))
/// ```
public enum WorldDataset {
    /// What was written.
    public struct Summary: Sendable, Equatable {
        public let layout: VOCLayout
        public let validationIDs: [String]
        public let trainingIDs: [String]
        public let statistics: WorldStatistics
    }

    /// The description stored in `world.json`.
    struct Description: Codable, Equatable {
        let generator: String
        let seed: UInt64
        let size: Int
        let count: Int
        let validationCount: Int
        let classes: [String]
        let biases: WorldBiases
        /// The camera stage when it is not the standard one (absent for standard worlds, whose
        /// files stay as they were).
        let camera: WorldCameraSettings?
        /// The vocabulary when it is not the standard one (absent for standard worlds).
        var vocabulary: WorldVocabulary? = nil
    }

    /// Writes scenes `0 ..< count`; the first `validationFraction` of them (rounded up) form
    /// the `val` split, the rest `train`. `progress` is called with the number written so far.
    public static func write(_ world: WorldGenerator, count: Int, to root: URL, validationFraction: Double = 0.2,
                             progress: ((Int) -> Void)? = nil) throws -> Summary {
        guard count > 0 else { throw DatasetError(file: root.path, problem: "a world dataset needs at least one scene") }
        guard (0...1).contains(validationFraction) else {
            throw DatasetError(file: root.path, problem: "the validation fraction must be between 0 and 1, not \(validationFraction)")
        }
        let layout = VOCLayout(root: root)
        for folder in [layout.imagesFolder, layout.masksFolder, layout.splitFile("val").deletingLastPathComponent()] {
            do {
                try FolderCreation.make(folder.path)
            } catch let error as FileError {
                throw DatasetError(file: folder.path, problem: "cannot create the folder (\(error.reason))")
            }
        }
        let palette = ClassPalette.voc(count: 256)
        var statistics = WorldStatistics(vocabulary: world.vocabulary)
        var captions: [String] = []
        let chunk = 64
        var first = 0
        while first < count {
            let n = min(chunk, count - first)
            var results = [Result<WorldScene, Error>?](repeating: nil, count: n)
            results.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                let start = first
                // Each worker writes only the slots (and files) of its own range.
                parallelRanges(n, minimumCount: 1) { range in
                    for i in range {
                        let scene = world.scene(index: start + i)
                        do {
                            try PNGCodec.write(scene.image,
                                               to: layout.imagesFolder.appendingPathComponent(scene.id + ".png").path)
                            try PNGCodec.write(IndexedImage(width: scene.width, height: scene.height, indices: scene.labels, palette: palette),
                                               to: layout.masksFolder.appendingPathComponent(scene.id + ".png").path)
                            base[i] = .success(scene)
                        } catch {
                            base[i] = .failure(error)
                        }
                    }
                }
            }
            for result in results {
                let scene = try result!.get()
                statistics.add(scene)
                captions.append(scene.id + "\t" + scene.caption)
            }
            first += n
            progress?(first)
        }
        let ids = (0..<count).map(WorldScene.id(index:))
        let validationCount = Int((Double(count) * validationFraction).rounded(.up))
        let validation = Array(ids.prefix(validationCount)), training = Array(ids.dropFirst(validationCount))
        try writeText(validation.map { $0 + "\n" }.joined(), to: layout.splitFile("val"))
        try writeText(training.map { $0 + "\n" }.joined(), to: layout.splitFile("train"))
        try writeText(world.vocabulary.classNames.map { $0 + "\n" }.joined(), to: root.appendingPathComponent("classes.txt"))
        try writeText(captions.map { $0 + "\n" }.joined(), to: root.appendingPathComponent("captions.txt"))
        let description = Description(generator: "reclip world", seed: world.seed, size: world.size, count: count,
                                      validationCount: validationCount, classes: world.vocabulary.classNames, biases: world.biases,
                                      camera: world.camera == .standard ? nil : world.camera,
                                      vocabulary: world.vocabulary == .standard ? nil : world.vocabulary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(description)
        try writeText(String(decoding: json, as: UTF8.self) + "\n", to: root.appendingPathComponent("world.json"))
        return Summary(layout: layout, validationIDs: validation, trainingIDs: training, statistics: statistics)
    }

    /// Reads `captions.txt` of a world dataset: id to caption.
    public static func captions(in root: URL) throws -> [String: String] {
        let file = root.appendingPathComponent("captions.txt")
        let lines = try TextLines.read(file, what: "captions file")
        var captions: [String: String] = [:]
        for (number, line) in lines.enumerated() {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else {
                throw DatasetError(file: file.path, problem: "line \(number + 1) is not 'id<TAB>caption'")
            }
            captions[String(parts[0])] = String(parts[1])
        }
        return captions
    }

    /// Writes UTF-8 text atomically (temporary file, then rename).
    static func writeText(_ text: String, to url: URL) throws {
        do {
            try AtomicFile.write(Array(text.utf8), to: url.path)
        } catch {
            throw DatasetError(file: url.path, problem: "cannot write the file (\(error.localizedDescription))")
        }
    }
}
