import Foundation
import FileIO
import CLIP
import ReCLIP
import SceneWorld

/// The default model bundled in `models/world/`: the small CLIP trained on the scene world
/// (`mini-clip.safetensors`, F16) and a ReCLIP and a ReCLIP++ rectifier trained on it for the
/// world's twelve classes. Used whenever a command gets no `--weights`.
///
/// ```swift
/// let model = try BundledModel.locate(executable: CommandLine.arguments[0])
/// model.weights                     // .../models/world/mini-clip.safetensors
/// model.rectifier(.reclipPlusPlus)  // .../models/world/rectifier-reclip++.safetensors
/// ```
public struct BundledModel: Sendable, Equatable {
    /// The `models/world` folder.
    public let folder: URL

    /// The name the explorer's status line shows.
    public static let displayName = "mini-clip (world)"
    /// The input size the small CLIP was trained at (short side in pixels).
    public static let imageSize = 96
    /// The world's classes in index order, as `samples/world/classes.txt` lists them.
    public static var classes: [String] { WorldVocabulary.standard.classNames }

    public init(folder: URL) { self.folder = folder }

    /// The small CLIP's weights.
    public var weights: URL { folder.appendingPathComponent("mini-clip.safetensors") }

    /// `figures.json`: the held-out figures `scripts/make_default_model.sh` measured.
    public var figuresFile: URL { folder.appendingPathComponent("figures.json") }

    /// The bundled model's held-out figures, when `figures.json` is there and readable.
    public var figures: BundledModelFigures? {
        guard let data = try? Data(FileBytes.read(figuresFile.path, limit: 1 << 20)) else { return nil }
        return try? JSONDecoder().decode(BundledModelFigures.self, from: data)
    }

    /// The rectifier the explorer uses by default: the one `figures.json` names (chosen on a
    /// validation world), else ReCLIP++.
    public var defaultVariant: RectifierVariant {
        figures.flatMap { RectifierVariant(rawValue: $0.default_variant) } ?? .reclipPlusPlus
    }

    /// The rectifier file of `variant`.
    public func rectifier(_ variant: RectifierVariant) -> URL {
        folder.appendingPathComponent(variant == .reclip ? "rectifier-reclip.safetensors" : "rectifier-reclip++.safetensors")
    }

    /// The bundled model beside the installation (the executable's folder and those above it,
    /// never the current directory), or an error saying which file is missing and how to get a model.
    public static func locate(executable: String) throws -> BundledModel {
        guard let folder = BundledFolder.locate("models/world", executable: executable, searchCurrentDirectory: false) else {
            throw DatasetError(file: "models/world/", problem: "no bundled model found beside the reclip binary; pass --weights FILE (or a name from `reclip weights list`)")
        }
        let model = BundledModel(folder: folder)
        for file in [model.weights, model.rectifier(.reclip), model.rectifier(.reclipPlusPlus)]
        where PathKind.of(file.path) == nil {
            throw DatasetError(file: file.path, problem: "missing (the bundled model is made by scripts/make_default_model.sh); pass --weights FILE instead")
        }
        return model
    }

    /// Whether `image` belongs to a generated world dataset (`DIR/JPEGImages/x.png` with
    /// `DIR/world.json`): the only images the small CLIP has ever seen the like of.
    public static func isWorldImage(_ image: URL) -> Bool {
        let root = image.deletingLastPathComponent().deletingLastPathComponent()
        return PathKind.of(root.appendingPathComponent("world.json").path) != nil
    }
}

/// What `scripts/make_default_model.sh` measured on the bundled model and wrote to
/// `models/world/figures.json`: mIoU (fractions) of raw MaskCLIP and both rectifiers at alpha 1
/// on held-out scenes of a test world, and which variant validation chose as the default.
public struct BundledModelFigures: Codable, Sendable, Equatable {
    /// The test world's seed and its scene count.
    public var test_seed: UInt64
    public var test_scenes: Int
    public var raw: Double
    public var reclip: Double
    public var reclip_plus_plus: Double
    /// `reclip` or `reclip++`: the better on the validation world.
    public var default_variant: String
    /// The same three on the same scenes with the maps refined by PAMR (the explorer's `r`), when measured.
    public var pamr: RefinedFigures?

    /// mIoU (fractions) of raw MaskCLIP and both rectifiers at alpha 1 with `steps` PAMR steps.
    public struct RefinedFigures: Codable, Sendable, Equatable {
        public var steps: Int
        public var raw: Double
        public var reclip: Double
        public var reclip_plus_plus: Double
    }

    /// "held-out mIoU raw 38%, ReCLIP 38%, ReCLIP++ 35% (200 scenes, world 4242)".
    public var summary: String {
        "held-out mIoU " + Self.threeFigures(raw, reclip, reclip_plus_plus) + " (\(test_scenes) scenes, world \(test_seed))"
    }

    /// "held-out mIoU with PAMR 10 raw 45%, ReCLIP 45%, ReCLIP++ 48% (200 scenes, world 4242)",
    /// when the refined figures were measured.
    public var refinedSummary: String? {
        pamr.map { "held-out mIoU with PAMR \($0.steps) " + Self.threeFigures($0.raw, $0.reclip, $0.reclip_plus_plus)
            + " (\(test_scenes) scenes, world \(test_seed))" }
    }

    static func threeFigures(_ raw: Double, _ reclip: Double, _ reclipPlusPlus: Double) -> String {
        func p(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
        return "raw \(p(raw)), ReCLIP \(p(reclip)), ReCLIP++ \(p(reclipPlusPlus))"
    }
}
