import Pixels
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// One generated scene: its pixels, its ground-truth mask and its caption.
///
/// ```swift
/// let scene = WorldGenerator(seed: 1).scene(index: 0)
/// scene.caption        // "a photo of a car on a road under the sky"
/// scene.labels[0]      // 0 (sky) -- or 255 where no class is named
/// ```
public struct WorldScene: Sendable, Equatable {
    /// Position in its world (the scene's id is derived from it).
    public let index: Int
    public let width: Int
    public let height: Int
    /// RGB bytes, row-major, 3 per pixel.
    public let pixels: [UInt8]
    /// Class index per pixel (`WorldClass.rawValue`), or `WorldClass.ignoreIndex` for pixels
    /// of a class too small to be named in the caption.
    public let labels: [UInt8]
    /// The classes present in `labels`, in index order.
    public let classes: [WorldClass]
    /// The classes the caption names, in index order: `classes`, or only the most salient of
    /// them when `WorldBiases.salientCaptionProbability` chose so.
    public let captionClasses: [WorldClass]
    /// A caption naming every class in `captionClasses` and no other, with varied phrasing.
    public let caption: String
    /// The layout the scene was composed from.
    public let kind: WorldSceneKind
    /// The classes its world names (`labels` and the caption use no others).
    public var vocabulary: WorldVocabulary = .standard

    /// The scene's pixels as the one image type (the bytes are shared, not copied).
    public var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    /// The dataset id of this scene, e.g. `world_000042`.
    public var id: String { WorldScene.id(index: index) }

    /// The dataset id of scene `index`.
    public static func id(index: Int) -> String {
        let digits = String(index)
        return "world_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
