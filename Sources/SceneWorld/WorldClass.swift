import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The vocabulary of the scene world: twelve classes with names CLIP users know.
///
/// The raw value is the class index used in masks, `classes.txt` and logits (sky is 0).
/// ```swift
/// WorldClass.road.name          // "road"
/// WorldClass(rawValue: 10)      // .car
/// ```
public enum WorldClass: Int, CaseIterable, Sendable, Comparable {
    case sky, cloud, mountain, snow, tree, grass, water, sand, road, building, car, boat

    /// The class name written to `classes.txt` and used as the CLIP prompt word.
    public var name: String {
        switch self {
        case .sky: "sky"
        case .cloud: "cloud"
        case .mountain: "mountain"
        case .snow: "snow"
        case .tree: "tree"
        case .grass: "grass"
        case .water: "water"
        case .sand: "sand"
        case .road: "road"
        case .building: "building"
        case .car: "car"
        case .boat: "boat"
        }
    }

    /// Every word a caption may use to name this class; no word names two classes.
    public var captionWords: [String] {
        switch self {
        case .sky: ["sky"]
        case .cloud: ["cloud", "clouds"]
        case .mountain: ["mountain", "mountains"]
        case .snow: ["snow"]
        case .tree: ["tree", "trees"]
        case .grass: ["grass", "meadow"]
        case .water: ["water", "lake", "sea"]
        case .sand: ["sand"]
        case .road: ["road", "street"]
        case .building: ["building", "buildings", "house", "houses"]
        case .car: ["car", "cars"]
        case .boat: ["boat", "boats"]
        }
    }

    /// Mask value for pixels that belong to no class (too small to name, or unlabelled).
    public static let ignoreIndex: UInt8 = 255

    public static func < (a: WorldClass, b: WorldClass) -> Bool { a.rawValue < b.rawValue }
}

/// The layouts the world composes scenes from; how often each occurs is a bias setting
/// (`WorldBiases.sceneWeights`), and it drives class frequency.
public enum WorldSceneKind: Int, CaseIterable, Sendable {
    /// Buildings along a horizon, a road in perspective, cars on the road.
    case street
    /// Meadow, trees, far mountains, sometimes a country road.
    case countryside
    /// A lake reflecting the sky and the far shore, boats, a grassy or sandy near shore.
    case lake
    /// The sea meeting a sandy beach, boats offshore.
    case beach
    /// Snow-capped mountains over a snowfield with conifers.
    case alpine
    /// One or two textures filling the frame, or a car seen close: no horizon at all.
    case closeUp
    /// Seen from above: a road across fields, cars, roofs and tree crowns, no sky.
    case aerial

    /// Name used in statistics and documentation.
    public var name: String {
        switch self {
        case .street: "street"
        case .countryside: "countryside"
        case .lake: "lake"
        case .beach: "beach"
        case .alpine: "alpine"
        case .closeUp: "close-up"
        case .aerial: "aerial"
        }
    }
}
