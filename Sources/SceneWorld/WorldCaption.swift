import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// Captions for world scenes: every class present named once, no other class named, in
/// varied phrasing ("a photo of a car on a road under the sky", "grass, trees and a lake").
///
/// ```swift
/// WorldCaption.classesNamed(in: "two boats on the lake under the sky")  // [.sky, .water, .boat]
/// ```
public enum WorldCaption {
    /// Writes a caption for a scene with `classes` present.
    static func make(classes: [WorldClass], instances: [WorldClass: Int], kind: WorldSceneKind,
                     rng: inout WorldRandom) -> String {
        let present = Set(classes)
        func noun(_ c: WorldClass) -> String {
            let n = instances[c] ?? 1
            switch c {
            case .sky: return rng.pick(["the sky", "the sky", "the open sky", "sky"])
            case .cloud: return rng.pick(["clouds", "some clouds", "white clouds"])
            case .mountain: return n > 1 ? rng.pick(["mountains", "the mountains", "distant mountains"]) : rng.pick(["a mountain", "rock of a mountain"])
            case .snow: return rng.pick(["snow", "fresh snow", "white snow"])
            case .tree: return n > 1 ? rng.pick(["trees", "some trees", "green trees"]) : rng.pick(["a tree", "one tree"])
            case .grass: return rng.pick(["grass", "green grass", "a meadow"])
            case .water:
                switch kind {
                case .lake: return rng.pick(["a lake", "the lake", "water"])
                case .beach: return rng.pick(["the sea", "water", "the blue sea"])
                default: return rng.pick(["water", "a lake"])
                }
            case .sand: return rng.pick(["sand", "the sand", "golden sand"])
            case .road: return rng.pick(["a road", "the road", "a street"])
            case .building: return n > 1 ? rng.pick(["buildings", "tall buildings", "houses"]) : rng.pick(["a building", "a house"])
            case .car:
                switch n {
                case 1: return rng.pick(["a car", "a parked car"])
                case 2: return rng.pick(["two cars", "cars"])
                default: return rng.pick(["cars", "several cars"])
                }
            case .boat: return n > 1 ? rng.pick(["boats", "two boats", "small boats"]) : rng.pick(["a boat", "a small boat"])
            }
        }
        func list(_ items: [String]) -> String {
            switch items.count {
            case 0: return ""
            case 1: return items[0]
            case 2: return items[0] + " and " + items[1]
            default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
            }
        }
        let prefix: String
        switch kind {
        case .closeUp: prefix = rng.pick(["a close-up of ", "a close-up photo of ", "detail of "])
        case .aerial: prefix = rng.pick(["an aerial photo of ", "a view from above of ", "aerial view of "])
        default: prefix = rng.pick(["a photo of ", "a photo of ", "", "a picture of ", "an image of "])
        }
        guard !classes.isEmpty else { return prefix + "nothing" }

        if rng.chance(0.35) {
            // Plain list, in a shuffled order.
            var order = classes
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.int(0...i)) }
            return prefix + list(order.map(noun))
        }
        // Relational: the main thing on its usual ground, under the sky, with the rest.
        let primary = [WorldClass.car, .boat, .building, .tree].first { present.contains($0) }
        let usualGround: [WorldClass: [WorldClass]] = [
            .car: [.road, .sand, .grass, .snow], .boat: [.water, .sand, .grass],
            .building: [.road, .grass, .sand, .snow], .tree: [.grass, .snow, .sand, .road],
        ]
        var others = classes.filter { $0 != .sky && $0 != primary }
        var parts: [String] = []
        if let primary {
            var phrase = noun(primary)
            if let ground = usualGround[primary]?.first(where: { present.contains($0) }) {
                phrase += " " + rng.pick(["on", "on", "by", "near"]) + " " + noun(ground)
                others.removeAll { $0 == ground }
            }
            parts.append(phrase)
        }
        if present.contains(.sky) {
            parts.append(parts.isEmpty ? noun(.sky) : rng.pick(["under", "below", "beneath"]) + " " + noun(.sky))
        }
        if parts.isEmpty {
            parts.append(noun(others.removeFirst()))
        }
        if !others.isEmpty { parts.append(rng.pick(["with", "and", "with"]) + " " + list(others.map(noun))) }
        return prefix + parts.joined(separator: " ")
    }

    /// The most salient classes of a scene: the one covering most pixels and the largest
    /// thing (car, boat, building, tree) if that is another class, in index order.
    static func salientClasses(of classes: [WorldClass], pixelCounts: [Int]) -> [WorldClass] {
        guard let largest = classes.max(by: { pixelCounts[$0.rawValue] < pixelCounts[$1.rawValue] }) else { return classes }
        let things = classes.filter { [.car, .boat, .building, .tree].contains($0) }
        var chosen: Set<WorldClass> = [largest]
        if let thing = things.max(by: { pixelCounts[$0.rawValue] < pixelCounts[$1.rawValue] }) { chosen.insert(thing) }
        return chosen.sorted()
    }

    /// The classes a caption names, by its words (each class has its own words).
    public static func classesNamed(in caption: String) -> Set<WorldClass> {
        var byWord: [String: WorldClass] = [:]
        for c in WorldClass.allCases { for word in c.captionWords { byWord[word] = c } }
        let words = caption.lowercased().split { !$0.isLetter }
        return Set(words.compactMap { byWord[String($0)] })
    }
}
