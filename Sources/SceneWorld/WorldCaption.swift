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
/// WorldCaption.classesNamed(in: "a truck by the sea", vocabulary: .siblings)  // [.truck, .sea]
/// ```
public enum WorldCaption {
    /// Writes a caption for a scene with `classes` present.
    static func make(classes: [WorldClass], instances: [WorldClass: Int], kind: WorldSceneKind,
                     vocabulary: WorldVocabulary, rng: inout WorldRandom) -> String {
        let standard = vocabulary == .standard
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
                case .beach where standard: return rng.pick(["the sea", "water", "the blue sea"])
                default: return standard ? rng.pick(["water", "a lake"]) : rng.pick(["water", "a pond", "a lake"])
                }
            case .sea: return rng.pick(["the sea", "the ocean", "the blue sea"])
            case .sand: return rng.pick(["sand", "the sand", "golden sand"])
            case .road: return rng.pick(["a road", "the road", "a street"])
            case .building where standard: return n > 1 ? rng.pick(["buildings", "tall buildings", "houses"]) : rng.pick(["a building", "a house"])
            case .building: return n > 1 ? rng.pick(["buildings", "tall buildings", "city buildings"]) : rng.pick(["a building", "a tall building"])
            case .house: return n > 1 ? rng.pick(["houses", "some houses"]) : rng.pick(["a house", "a small house", "a cottage"])
            case .pine: return n > 1 ? rng.pick(["pines", "tall pines", "conifers"]) : rng.pick(["a pine", "a conifer", "one pine"])
            case .truck: return n > 1 ? rng.pick(["trucks", "two trucks"]) : rng.pick(["a truck", "a lorry", "a big truck"])
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
        let primary = WorldCaption.things.first { present.contains($0) }
        let usualGround: [WorldClass: [WorldClass]] = [
            .car: [.road, .sand, .grass, .snow], .truck: [.road, .grass, .sand], .boat: [.water, .sea, .sand, .grass],
            .building: [.road, .grass, .sand, .snow], .house: [.grass, .road, .snow],
            .tree: [.grass, .snow, .sand, .road], .pine: [.snow, .grass, .road],
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

    /// A caption that differs from the truth about a picture by one class, a hard negative
    /// for contrastive training (NegCLIP's idea): a named class swapped for its sibling
    /// (half the time when one can be), else one class left out, or, for a picture with a
    /// single named class, one absent class added. Returns the caption and the classes it names.
    static func hardNegative(of classes: [WorldClass], kind: WorldSceneKind, vocabulary: WorldVocabulary,
                             rng: inout WorldRandom) -> (caption: String, classes: [WorldClass]) {
        let present = Set(classes)
        let swappable = classes.filter { vocabulary.sibling(of: $0).map { !present.contains($0) } ?? false }
        var edited = present
        if !swappable.isEmpty && (classes.count == 1 || rng.chance(0.5)) {
            let c = rng.pick(swappable)
            edited.remove(c)
            edited.insert(vocabulary.sibling(of: c)!)
        } else if classes.count > 1 {
            edited.remove(rng.pick(classes))
        } else {
            edited.insert(rng.pick(vocabulary.classes.filter { !present.contains($0) }))
        }
        let named = edited.sorted()
        return (make(classes: named, instances: [:], kind: kind, vocabulary: vocabulary, rng: &rng), named)
    }

    /// The countable things, in the order a relational caption prefers its main one.
    static let things: [WorldClass] = [.car, .truck, .boat, .building, .house, .tree, .pine]

    /// The most salient classes of a scene: the one covering most pixels and the largest
    /// thing (car, truck, boat, building, house, tree, pine) if that is another class, in index order.
    static func salientClasses(of classes: [WorldClass], pixelCounts: [Int]) -> [WorldClass] {
        guard let largest = classes.max(by: { pixelCounts[$0.rawValue] < pixelCounts[$1.rawValue] }) else { return classes }
        let things = classes.filter { WorldCaption.things.contains($0) }
        var chosen: Set<WorldClass> = [largest]
        if let thing = things.max(by: { pixelCounts[$0.rawValue] < pixelCounts[$1.rawValue] }) { chosen.insert(thing) }
        return chosen.sorted()
    }

    /// The classes a caption of a `vocabulary` world names, by its words (each class has its own words).
    public static func classesNamed(in caption: String, vocabulary: WorldVocabulary = .standard) -> Set<WorldClass> {
        var byWord: [String: WorldClass] = [:]
        for c in vocabulary.classes { for word in c.captionWords(in: vocabulary) { byWord[word] = c } }
        let words = caption.lowercased().split { !$0.isLetter }
        return Set(words.compactMap { byWord[String($0)] })
    }
}
