import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The classes of the scene world, with names CLIP users know: the twelve of the standard
/// vocabulary, then four siblings that only the sibling vocabulary uses (`WorldVocabulary`).
///
/// The raw value is the class index used in masks, `classes.txt` and logits (sky is 0). The
/// siblings are to earlier classes what VOC's bus is to its car and its cat to its dog: a
/// house to a building, a pine to a tree, the sea to water, a truck to a car. A scene usually
/// holds one of a pair, and what tells them apart is partly the thing's shape and partly its
/// scene, which is where image-level knowledge helps a dense prediction.
/// ```swift
/// WorldClass.road.name          // "road"
/// WorldClass(rawValue: 10)      // .car
/// ```
public enum WorldClass: Int, CaseIterable, Sendable, Comparable {
    case sky, cloud, mountain, snow, tree, grass, water, sand, road, building, car, boat, house, pine, sea, truck

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
        case .house: "house"
        case .pine: "pine"
        case .sea: "sea"
        case .truck: "truck"
        }
    }

    /// Every word a caption of a `vocabulary` world may use to name this class; no word names
    /// two classes. The standard vocabulary calls houses buildings and the sea water.
    public func captionWords(in vocabulary: WorldVocabulary) -> [String] {
        if vocabulary == .standard {
            switch self {
            case .building: return ["building", "buildings", "house", "houses"]
            case .water: return ["water", "lake", "sea"]
            case .house, .pine, .sea, .truck: return []
            default: break
            }
        }
        switch self {
        case .sky: return ["sky"]
        case .cloud: return ["cloud", "clouds"]
        case .mountain: return ["mountain", "mountains"]
        case .snow: return ["snow"]
        case .tree: return ["tree", "trees"]
        case .grass: return ["grass", "meadow"]
        case .water: return ["water", "lake", "pond"]
        case .sand: return ["sand"]
        case .road: return ["road", "street"]
        case .building: return ["building", "buildings"]
        case .car: return ["car", "cars"]
        case .boat: return ["boat", "boats"]
        case .house: return ["house", "houses", "cottage"]
        case .pine: return ["pine", "pines", "conifer", "conifers"]
        case .sea: return ["sea", "ocean"]
        case .truck: return ["truck", "trucks", "lorry"]
        }
    }

    /// The class this one is most easily taken for, as VOC's car is for its bus: the four
    /// sibling pairs (building and house, tree and pine, water and sea, car and truck), in the
    /// sibling vocabulary (`WorldVocabulary.sibling(of:)` says whether a world has them).
    public var sibling: WorldClass? {
        switch self {
        case .building: .house
        case .house: .building
        case .tree: .pine
        case .pine: .tree
        case .water: .sea
        case .sea: .water
        case .car: .truck
        case .truck: .car
        default: nil
        }
    }

    /// The standard class a sibling is drawn as in a standard world (itself for the others).
    var standardClass: WorldClass { rawValue < WorldVocabulary.standard.classes.count ? self : sibling! }

    /// Mask value for pixels that belong to no class (too small to name, or unlabelled).
    public static let ignoreIndex: UInt8 = 255

    public static func < (a: WorldClass, b: WorldClass) -> Bool { a.rawValue < b.rawValue }
}

/// Which classes a world names: `standard`, the twelve classes of the bundled model's world,
/// or `siblings`, the same scenes with four sibling classes added (houses, pines, the sea and
/// trucks apart from buildings, trees, water and cars; `reclip world --siblings`). A standard
/// world draws a house as a building and a pine as a tree, and has no trucks; its scenes are
/// the same bytes as before the siblings existed.
public enum WorldVocabulary: String, Sendable, Equatable, Codable, CaseIterable {
    case standard, siblings

    /// The classes in index order (the lines of `classes.txt`).
    public var classes: [WorldClass] { self == .standard ? Array(WorldClass.allCases.prefix(12)) : WorldClass.allCases }

    /// Their names.
    public var classNames: [String] { classes.map(\.name) }

    /// The label a painted thing of class `c` gets in this vocabulary.
    func label(_ c: WorldClass) -> WorldClass { self == .standard ? c.standardClass : c }

    /// `c`'s sibling if this vocabulary has one.
    public func sibling(of c: WorldClass) -> WorldClass? { self == .siblings ? c.sibling : nil }
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
