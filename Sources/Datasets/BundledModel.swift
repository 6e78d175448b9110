import Foundation
import Segmentation

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
    public static var classes: [String] { WorldClass.allCases.map(\.name) }

    public init(folder: URL) { self.folder = folder }

    /// The small CLIP's weights.
    public var weights: URL { folder.appendingPathComponent("mini-clip.safetensors") }

    /// The rectifier file of `variant`.
    public func rectifier(_ variant: RectifierVariant) -> URL {
        folder.appendingPathComponent(variant == .reclip ? "rectifier-reclip.safetensors" : "rectifier-reclip++.safetensors")
    }

    /// The bundled model, or an error saying which file is missing and how to get a model.
    public static func locate(executable: String,
                              currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> BundledModel {
        guard let folder = BundledFolder.locate("models/world", executable: executable, currentDirectory: currentDirectory) else {
            throw DatasetError(file: "models/world/", problem: "no bundled model found here or beside the reclip binary; pass --weights FILE (or a name from `reclip weights list`)")
        }
        let model = BundledModel(folder: folder)
        for file in [model.weights, model.rectifier(.reclip), model.rectifier(.reclipPlusPlus)]
        where !FileManager.default.fileExists(atPath: file.path) {
            throw DatasetError(file: file.path, problem: "missing (the bundled model is made by scripts/make_default_model.sh); pass --weights FILE instead")
        }
        return model
    }

    /// Whether `image` belongs to a generated world dataset (`DIR/JPEGImages/x.png` with
    /// `DIR/world.json`): the only images the small CLIP has ever seen the like of.
    public static func isWorldImage(_ image: URL) -> Bool {
        let root = image.deletingLastPathComponent().deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: root.appendingPathComponent("world.json").path)
    }
}
