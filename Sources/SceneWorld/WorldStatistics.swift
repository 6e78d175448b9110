import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Measured statistics of a set of world scenes: how often each class appears, how much
/// of the image it covers, where it sits vertically, and which classes come together --
/// the figures that show the configured biases are really in the data.
///
/// ```swift
/// var stats = WorldStatistics()
/// for scene in world.scenes(0..<500) { stats.add(scene) }
/// stats.meanRow(.sky)                  // about 0.2 of the height from the top
/// stats.probability(of: .car, given: .road)
/// print(stats.table)
/// ```
public struct WorldStatistics: Sendable, Equatable {
    public private(set) var images = 0
    /// Images containing each class, by class index.
    public private(set) var imagesWith: [Int]
    /// Labelled pixels of each class.
    public private(set) var pixels: [Int]
    /// Sum over a class's pixels of its row position (0 top, 1 bottom).
    public private(set) var rowSum: [Double]
    /// `together[a][b]`: images containing both a and b.
    public private(set) var together: [[Int]]
    /// Images per scene kind.
    public private(set) var kinds: [Int]
    /// Images per set of classes present (bit k set for class index k).
    public private(set) var classSets: [UInt32: Int] = [:]
    /// The classes the table lists.
    public let vocabulary: WorldVocabulary

    public init(vocabulary: WorldVocabulary = .standard) {
        self.vocabulary = vocabulary
        let k = WorldClass.allCases.count
        imagesWith = [Int](repeating: 0, count: k)
        pixels = [Int](repeating: 0, count: k)
        rowSum = [Double](repeating: 0, count: k)
        together = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        kinds = [Int](repeating: 0, count: WorldSceneKind.allCases.count)
    }

    public mutating func add(_ scene: WorldScene) {
        images += 1
        kinds[scene.kind.rawValue] += 1
        classSets[scene.classes.reduce(UInt32(0)) { $0 | 1 << UInt32($1.rawValue) }, default: 0] += 1
        for a in scene.classes {
            imagesWith[a.rawValue] += 1
            for b in scene.classes { together[a.rawValue][b.rawValue] += 1 }
        }
        let rowScale = 1 / Double(max(1, scene.height - 1))
        for y in 0..<scene.height {
            let row = Double(y) * rowScale
            for x in 0..<scene.width {
                let label = scene.labels[y * scene.width + x]
                guard label != WorldClass.ignoreIndex else { continue }
                pixels[Int(label)] += 1
                rowSum[Int(label)] += row
            }
        }
    }

    /// Fraction of images containing `c`.
    public func frequency(_ c: WorldClass) -> Double {
        Double(imagesWith[c.rawValue]) / Double(max(1, images))
    }

    /// Fraction of all labelled pixels that are `c`.
    public func pixelShare(_ c: WorldClass) -> Double {
        Double(pixels[c.rawValue]) / Double(max(1, pixels.reduce(0, +)))
    }

    /// Mean row position of `c`'s pixels, 0 = top edge, 1 = bottom edge.
    public func meanRow(_ c: WorldClass) -> Double {
        rowSum[c.rawValue] / Double(max(1, pixels[c.rawValue]))
    }

    /// P(a present | b present).
    public func probability(of a: WorldClass, given b: WorldClass) -> Double {
        Double(together[a.rawValue][b.rawValue]) / Double(max(1, imagesWith[b.rawValue]))
    }

    /// P(at least one of `any` present | b present).
    public func probability(of any: [WorldClass], given b: WorldClass) -> Double {
        let wanted = any.reduce(UInt32(0)) { $0 | 1 << UInt32($1.rawValue) }, given = UInt32(1) << UInt32(b.rawValue)
        let hits = classSets.reduce(0) { $0 + ($1.key & given != 0 && $1.key & wanted != 0 ? $1.value : 0) }
        return Double(hits) / Double(max(1, imagesWith[b.rawValue]))
    }

    /// Classes from most to least frequent (by images containing them).
    public var frequencyRanking: [WorldClass] {
        vocabulary.classes.sorted { (imagesWith[$0.rawValue], -$0.rawValue) > (imagesWith[$1.rawValue], -$1.rawValue) }
    }

    /// A plain-text table of the figures above.
    public var table: String {
        func pct(_ v: Double) -> String { String(format: "%5.1f%%", v * 100) }
        var lines = ["\(images) scenes: " + WorldSceneKind.allCases.map { "\($0.name) \(kinds[$0.rawValue])" }.joined(separator: ", "),
                     "class      images  pixels  mean row",
        ]
        for c in frequencyRanking {
            lines.append(c.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                         + "  " + pct(frequency(c)) + "  " + pct(pixelShare(c))
                         + String(format: "  %.2f", meanRow(c)))
        }
        lines.append("P(road | car) " + pct(probability(of: .road, given: .car))
                     + "   P(car | road) " + pct(probability(of: .car, given: .road)))
        if vocabulary == .standard {
            lines.append("P(water | boat) " + pct(probability(of: .water, given: .boat))
                         + "   P(boat | water) " + pct(probability(of: .boat, given: .water)))
        } else {
            lines.append("P(water or sea | boat) " + pct(probability(of: [.water, .sea], given: .boat))
                         + "   P(boat | water) " + pct(probability(of: .boat, given: .water))
                         + "   P(boat | sea) " + pct(probability(of: .boat, given: .sea)))
            lines.append("P(road | truck) " + pct(probability(of: .road, given: .truck))
                         + "   P(car | truck) " + pct(probability(of: .car, given: .truck))
                         + "   P(snow | pine) " + pct(probability(of: .snow, given: .pine)))
        }
        lines.append("P(mountain | snow) " + pct(probability(of: .mountain, given: .snow))
                     + "   P(sky | cloud) " + pct(probability(of: .sky, given: .cloud)))
        return lines.joined(separator: "\n")
    }
}
