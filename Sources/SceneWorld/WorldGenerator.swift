import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The procedural scene world: scene `i` of seed `S` is always the same picture, mask and
/// caption, on any machine, whatever order scenes are asked for in.
///
/// Pure pixels, no files: `WorldDataset` (in the Datasets target) writes scenes to disk.
///
/// ```swift
/// let world = WorldGenerator(seed: 2024)               // 96x96, default biases
/// let scene = world.scene(index: 3)
/// print(scene.caption, scene.classes.map(\.name))
/// ```
public struct WorldGenerator: Sendable {
    public let seed: UInt64
    /// Image side in pixels (square images).
    public let size: Int
    public let biases: WorldBiases
    /// The camera stage that turns painted scenes into pixels (masks do not depend on it).
    public let camera: WorldCameraSettings
    /// The classes the world names: the standard twelve, or with the four siblings.
    public let vocabulary: WorldVocabulary

    public init(seed: UInt64, size: Int = 96, biases: WorldBiases = .default, camera: WorldCameraSettings = .standard,
                vocabulary: WorldVocabulary = .standard) {
        precondition(size >= 16, "world images must be at least 16 pixels wide")
        self.seed = seed
        self.size = size
        self.biases = biases
        self.camera = camera
        self.vocabulary = vocabulary
    }

    /// The standard vocabulary's class names in index order (the lines of a standard world's
    /// `classes.txt`; `vocabulary.classNames` for any world).
    public static var classNames: [String] { WorldVocabulary.standard.classNames }

    /// Composes scene `index`.
    public func scene(index: Int) -> WorldScene {
        var rng = WorldRandom(seed: seed, index: UInt64(index))
        let kind = WorldSceneKind(rawValue: rng.weightedIndex(biases.sceneWeights)) ?? .street
        var builder = WorldSceneBuilder(size: size, biases: biases, vocabulary: vocabulary, rng: rng)
        builder.compose(kind)
        rng = builder.rng

        // Classes too small to name become ignore pixels, so mask and caption agree.
        var labels = builder.canvas.labels
        var counts = [Int](repeating: 0, count: WorldClass.allCases.count)
        for label in labels where label != WorldClass.ignoreIndex { counts[Int(label)] += 1 }
        let minimum = max(1, Int((biases.minimumFraction * Float(size * size)).rounded(.up)))
        let named = WorldClass.allCases.filter { counts[$0.rawValue] >= minimum }
        let namedSet = Set(named.map { UInt8($0.rawValue) })
        for i in labels.indices where !namedSet.contains(labels[i]) {
            labels[i] = WorldClass.ignoreIndex
        }

        let pixels = WorldCamera.develop(builder.canvas, settings: camera, rng: &rng)
        var captioned = named
        if biases.salientCaptionProbability > 0 && rng.chance(biases.salientCaptionProbability) {
            captioned = WorldCaption.salientClasses(of: named, pixelCounts: counts)
        }
        let caption = WorldCaption.make(classes: captioned, instances: builder.instances,
                                        kind: kind, vocabulary: vocabulary, rng: &rng)
        return WorldScene(index: index, width: size, height: size, pixels: pixels, labels: labels, classes: named,
                          captionClasses: captioned, caption: caption, kind: kind, vocabulary: vocabulary)
    }

    /// Scenes `range`, in order.
    public func scenes(_ range: Range<Int>) -> [WorldScene] { range.map { scene(index: $0) } }
}
