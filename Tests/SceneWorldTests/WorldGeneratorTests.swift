import XCTest
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP
@testable import SceneWorld

final class WorldGeneratorTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceSequence() {
        // Reference values of SplitMix64 (Steele, Lea, Flood 2014) from seed 0.
        var rng = WorldRandom(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(rng.next(), 0x06C4_5D18_8009_454F)
    }

    func testRandomHelpersStayInRange() {
        var rng = WorldRandom(seed: 3)
        for _ in 0..<2000 {
            let u = rng.uniform()
            XCTAssert(u >= 0 && u < 1)
            XCTAssert((2...5).contains(rng.int(2...5)))
            XCTAssertEqual(rng.weightedIndex([0, 1, 0]), 1)
        }
        let noise = WorldNoise(seed: 9)
        for i in 0..<500 {
            let v = noise.fbm(Float(i) * 0.37 - 40, Float(i) * 0.11, octaves: 5)
            XCTAssert(v >= 0 && v < 1, "fbm out of range: \(v)")
        }
    }

    func testSameSeedGivesIdenticalScenesInAnyOrder() {
        let a = WorldGenerator(seed: 11, size: 48)
        let b = WorldGenerator(seed: 11, size: 48)
        let forward = a.scenes(0..<6)
        let backward = (0..<6).reversed().map { b.scene(index: $0) }.reversed()
        XCTAssertEqual(forward, Array(backward))
        let other = WorldGenerator(seed: 12, size: 48).scenes(0..<6)
        XCTAssertNotEqual(forward.map(\.pixels), other.map(\.pixels))
        XCTAssertEqual(forward[3].id, "world_000003")
    }

    func testMasksMatchImagesAndCaptionsNameExactlyTheClassesPresent() {
        for size in [32, 64] { checkMasksAndCaptions(WorldGenerator(seed: 5, size: size)) }
    }

    /// The shifted sites keep exact masks and captions that name exactly the masked classes.
    func testShiftedSitesKeepExactMasksAndCaptions() {
        checkMasksAndCaptions(WorldGenerator(seed: 5, size: 32, biases: WorldBiases.default.mixed(.streets)))
        checkMasksAndCaptions(WorldGenerator(seed: 5, size: 32, biases: WorldBiases.balanced.mixed(.coast)))
        checkMasksAndCaptions(WorldGenerator(seed: 5, size: 32, camera: .dusk))
    }

    /// The sixteen-class world keeps them too, and names its siblings with their own words.
    func testSiblingWorldKeepsExactMasksAndCaptions() {
        for size in [32, 64] { checkMasksAndCaptions(WorldGenerator(seed: 5, size: size, vocabulary: .siblings)) }
        checkMasksAndCaptions(WorldGenerator(seed: 5, size: 32, biases: .balanced, vocabulary: .siblings))
    }

    func checkMasksAndCaptions(_ world: WorldGenerator, file: StaticString = #filePath, line: UInt = #line) {
        let size = world.size
        do {
            let minimum = Int((world.biases.minimumFraction * Float(size * size)).rounded(.up))
            for scene in world.scenes(0..<60) {
                XCTAssertEqual(scene.width, size)
                XCTAssertEqual(scene.pixels.count, size * size * 3)
                XCTAssertEqual(scene.labels.count, size * size)
                var counts = [Int](repeating: 0, count: 256)
                for label in scene.labels { counts[Int(label)] += 1 }
                let inMask = Set((0..<WorldClass.allCases.count).filter { counts[$0] > 0 }.map { WorldClass(rawValue: $0)! })
                XCTAssertEqual(counts[world.vocabulary.classes.count..<255].reduce(0, +), 0, "labels outside the vocabulary")
                XCTAssertEqual(Set(scene.classes), inMask)
                XCTAssertEqual(scene.classes, scene.classes.sorted())
                XCTAssertFalse(scene.classes.isEmpty)
                for c in scene.classes { XCTAssertGreaterThanOrEqual(counts[c.rawValue], minimum) }
                XCTAssertEqual(scene.captionClasses, scene.classes)
                XCTAssertEqual(WorldCaption.classesNamed(in: scene.caption, vocabulary: world.vocabulary), inMask,
                               "scene \(scene.index) (\(scene.kind.name)): \(scene.caption)", file: file, line: line)
            }
        }
    }

    /// `--scene-mix`: the kinds of scenes follow the mix; nothing but the kind draw changes.
    func testSceneMixShiftsTheKindsOfScenes() {
        func shares(_ world: WorldGenerator) -> [WorldSceneKind: Double] {
            var counts: [WorldSceneKind: Double] = [:]
            for scene in world.scenes(0..<300) { counts[scene.kind, default: 0] += 1 / 300 }
            return counts
        }
        let standard = shares(WorldGenerator(seed: 3, size: 24))
        let streets = shares(WorldGenerator(seed: 3, size: 24, biases: WorldBiases.default.mixed(.streets)))
        let coast = shares(WorldGenerator(seed: 3, size: 24, biases: WorldBiases.default.mixed(.coast)))
        let standardCoast = standard[.lake, default: 0] + standard[.beach, default: 0]
        XCTAssertLessThan(standard[.street, default: 0], 0.35)
        XCTAssertGreaterThan(streets[.street, default: 0], 0.6)
        XCTAssertLessThan(standardCoast, 0.4)
        XCTAssertGreaterThan(coast[.lake, default: 0] + coast[.beach, default: 0], 0.7)
        var mixed = WorldBiases.default.mixed(.coast)
        XCTAssertEqual(mixed.sceneWeights, WorldSceneMix.coast.weights)
        mixed.sceneWeights = WorldBiases.default.sceneWeights
        XCTAssertEqual(mixed, WorldBiases.default, "a scene mix changes the scene weights only")
    }

    /// `--camera dusk`: the same scenes (kinds, masks, classes) in darker, warmer, noisier pixels.
    func testDuskCameraChangesThePixelsOnly() {
        let standard = WorldGenerator(seed: 8, size: 32), dusk = WorldGenerator(seed: 8, size: 32, camera: .dusk)
        /// Mean brightness, mean red minus blue, and mean absolute difference of horizontal
        /// neighbours (grain raises it), in byte units.
        func measure(_ scene: WorldScene) -> [Double] {
            let p = scene.pixels.map(Double.init), n = Double(p.count / 3)
            let red = stride(from: 0, to: p.count, by: 3).reduce(0) { $0 + p[$1] } / n
            let blue = stride(from: 2, to: p.count, by: 3).reduce(0) { $0 + p[$1] } / n
            var d = 0.0
            for i in 3..<p.count where (i / 3) % scene.width != 0 { d += abs(p[i] - p[i - 3]) }
            return [p.reduce(0, +) / Double(p.count), red - blue, d / Double(p.count)]
        }
        var sums = (standard: [0.0, 0, 0], dusk: [0.0, 0, 0])
        for index in 0..<40 {
            let a = standard.scene(index: index), b = dusk.scene(index: index)
            XCTAssertEqual(a.labels, b.labels, "scene \(index): the mask must not depend on the camera")
            XCTAssertEqual(a.classes, b.classes)
            XCTAssertEqual(a.kind, b.kind)
            XCTAssertNotEqual(a.pixels, b.pixels)
            sums.standard = zip(sums.standard, measure(a)).map { $0 + $1 / 40 }
            sums.dusk = zip(sums.dusk, measure(b)).map { $0 + $1 / 40 }
        }
        let brightness = (standard: sums.standard[0], dusk: sums.dusk[0])
        let warmth = (standard: sums.standard[1], dusk: sums.dusk[1])
        let roughness = (standard: sums.standard[2], dusk: sums.dusk[2])
        XCTAssertLessThan(brightness.dusk, 0.8 * brightness.standard, "dusk is darker")
        XCTAssertGreaterThan(warmth.dusk, warmth.standard + 5, "dusk is warmer (red over blue)")
        XCTAssertGreaterThan(roughness.dusk, roughness.standard, "dusk is grainier")
        XCTAssertEqual(WorldGenerator(seed: 8, size: 32, camera: .standard).scene(index: 3),
                       WorldGenerator(seed: 8, size: 32).scene(index: 3), "the standard camera is the default")
    }

    func testSalientCaptionsNameTheLargestRegionAndTheLargestThing() {
        var biases = WorldBiases.default
        biases.salientCaptionProbability = 1
        let world = WorldGenerator(seed: 5, size: 48, biases: biases)
        let plain = WorldGenerator(seed: 5, size: 48)
        var shorter = 0
        for index in 0..<40 {
            let scene = world.scene(index: index)
            XCTAssertEqual(scene.pixels, plain.scene(index: index).pixels)
            var counts = [Int](repeating: 0, count: 256)
            for label in scene.labels { counts[Int(label)] += 1 }
            let largest = scene.classes.max { counts[$0.rawValue] < counts[$1.rawValue] }!
            XCTAssert(scene.captionClasses.contains(largest))
            XCTAssert(Set(scene.captionClasses).isSubset(of: Set(scene.classes)))
            XCTAssert((1...2).contains(scene.captionClasses.count))
            XCTAssertEqual(WorldCaption.classesNamed(in: scene.caption), Set(scene.captionClasses), scene.caption)
            if scene.captionClasses.count < scene.classes.count { shorter += 1 }
        }
        XCTAssertGreaterThan(shorter, 30)
    }

    func testCaptionWordsNameOneClassEach() {
        for vocabulary in WorldVocabulary.allCases {
            var seen: [String: WorldClass] = [:]
            for c in vocabulary.classes {
                XCTAssertFalse(c.captionWords(in: vocabulary).isEmpty, "\(c.name) has no words")
                for word in c.captionWords(in: vocabulary) {
                    XCTAssertNil(seen[word], "\(word) names two classes")
                    seen[word] = c
                }
            }
        }
        XCTAssertEqual(WorldCaption.classesNamed(in: "Two boats on the lake, under the sky."), [.boat, .water, .sky])
        XCTAssertEqual(WorldGenerator.classNames.first, "sky")
        XCTAssertEqual(WorldGenerator.classNames.count, 12)
        XCTAssertEqual(WorldCaption.classesNamed(in: "A lorry by the sea, pines and a cottage.", vocabulary: .siblings),
                       [.truck, .sea, .pine, .house])
        XCTAssertEqual(WorldCaption.classesNamed(in: "A house by the sea."), [.building, .water])
        XCTAssertEqual(WorldVocabulary.siblings.classNames.count, 16)
        XCTAssertEqual(Array(WorldVocabulary.siblings.classNames.prefix(12)), WorldGenerator.classNames)
    }

    func testDefaultBiasesShowInTheStatistics() {
        var stats = WorldStatistics()
        for scene in WorldGenerator(seed: 1, size: 48).scenes(0..<300) { stats.add(scene) }
        // Space preference: sky high, ground classes low.
        XCTAssertLessThan(stats.meanRow(.sky), 1.0 / 3)
        XCTAssertLessThan(stats.meanRow(.cloud), 1.0 / 3)
        XCTAssertGreaterThan(stats.meanRow(.road), 0.6)
        XCTAssertGreaterThan(stats.meanRow(.sand), 0.6)
        // Frequency imbalance: sky most common, snow and boats among the rarest.
        XCTAssertEqual(stats.frequencyRanking.first, .sky)
        XCTAssert(stats.frequencyRanking.suffix(3).contains(.snow))
        XCTAssert(stats.frequencyRanking.suffix(3).contains(.boat))
        XCTAssertGreaterThan(stats.frequency(.sky), 4 * stats.frequency(.snow))
        // Co-occurrence: cars with roads, boats with water.
        XCTAssertGreaterThan(stats.probability(of: .road, given: .car), 0.9)
        XCTAssertGreaterThan(stats.probability(of: .water, given: .boat), 0.9)
        XCTAssertGreaterThan(stats.probability(of: .car, given: .road), 0.6)
        // ... and tendencies, not rules: some sky below the middle (tilts), some scenes without sky.
        XCTAssertLessThan(stats.frequency(.sky), 0.97)
        XCTAssertFalse(stats.table.isEmpty)
    }

    /// A standard world never draws a sibling: it has no trucks, and a house, a pine and the
    /// sea are labelled building, tree and water, as before the siblings existed.
    func testStandardWorldLabelsNoSibling() {
        let standard = WorldGenerator(seed: 6, size: 48), siblings = WorldGenerator(seed: 6, size: 48, vocabulary: .siblings)
        var relabelled = 0
        for i in 0..<80 {
            let a = standard.scene(index: i), b = siblings.scene(index: i)
            XCTAssertTrue(a.classes.allSatisfy { $0.rawValue < 12 }, a.caption)
            XCTAssertEqual(a.kind, b.kind)
            if b.classes.contains(where: { $0.rawValue >= 12 }) { relabelled += 1 }
        }
        XCTAssertGreaterThan(relabelled, 10, "the sibling world draws siblings")
    }

    func testSiblingClassesAppearMostlyApart() {
        var stats = WorldStatistics(vocabulary: .siblings)
        for scene in WorldGenerator(seed: 3, size: 48, vocabulary: .siblings).scenes(0..<300) { stats.add(scene) }
        for (a, b) in [(WorldClass.car, WorldClass.truck), (.building, .house), (.water, .sea), (.tree, .pine)] {
            XCTAssertGreaterThan(stats.frequency(b), 0.03, "\(b.name) too rare to learn")
            let both = Double(stats.together[a.rawValue][b.rawValue])
            let either = Double(stats.imagesWith[a.rawValue] + stats.imagesWith[b.rawValue]) - both
            XCTAssertLessThan(both / either, 0.35, "\(a.name) and \(b.name) share most scenes")
            XCTAssertEqual(stats.probability(of: [a], given: b), stats.probability(of: a, given: b), accuracy: 1e-12)
        }
        // The designed biases hold for the siblings too.
        XCTAssertGreaterThan(stats.probability(of: [.water, .sea], given: .boat), 0.9)
        XCTAssertGreaterThan(stats.probability(of: .road, given: .truck), 0.8)
        XCTAssertGreaterThan(stats.probability(of: .snow, given: .pine), 0.2)
        XCTAssertGreaterThan(stats.probability(of: [.car, .truck], given: .road), 0.6)
        XCTAssertGreaterThan(stats.meanRow(.truck), 0.6)
        XCTAssertEqual(stats.probability(of: [.water, .sea], given: .sea), 1, accuracy: 1e-12)
        XCTAssertTrue(stats.table.contains("P(road | truck)"))
    }

    func testHardNegativeCaptionsGetExactlyOneClassWrong() {
        for vocabulary in WorldVocabulary.allCases {
            var swaps = 0, drops = 0
            for scene in WorldGenerator(seed: 4, size: 48, vocabulary: vocabulary).scenes(0..<120) where !scene.captionClasses.isEmpty {
                var rng = WorldRandom(seed: 8, index: UInt64(scene.index))
                let negative = WorldCaption.hardNegative(of: scene.captionClasses, kind: scene.kind, vocabulary: vocabulary, rng: &rng)
                let truth = Set(scene.captionClasses), named = Set(negative.classes)
                XCTAssertEqual(WorldCaption.classesNamed(in: negative.caption, vocabulary: vocabulary), named, negative.caption)
                XCTAssertNotEqual(named, truth)
                XCTAssertTrue(named.isSubset(of: Set(vocabulary.classes)))
                let missing = truth.subtracting(named), extra = named.subtracting(truth)
                if missing.count == 1 && extra.count == 1 {
                    XCTAssertEqual(vocabulary.sibling(of: missing.first!), extra.first!, "a swap is a sibling swap")
                    swaps += 1
                } else if missing.count == 1 && extra.isEmpty {
                    drops += 1
                } else {
                    XCTAssertEqual(missing.count, 0); XCTAssertEqual(extra.count, 1); XCTAssertEqual(truth.count, 1)
                }
            }
            XCTAssertEqual(swaps > 10, vocabulary == .siblings, "\(vocabulary): \(swaps) sibling swaps")
            XCTAssertGreaterThan(drops, 10)
        }
    }

    func testBalancedBiasesWeakenThePriors() {
        var biased = WorldStatistics(), balanced = WorldStatistics()
        let a = WorldGenerator(seed: 2, size: 40), b = WorldGenerator(seed: 2, size: 40, biases: .balanced)
        for i in 0..<250 {
            biased.add(a.scene(index: i))
            balanced.add(b.scene(index: i))
        }
        XCTAssertGreaterThan(balanced.meanRow(.sky), biased.meanRow(.sky) + 0.03)
        XCTAssertLessThan(balanced.probability(of: .road, given: .car), biased.probability(of: .road, given: .car) - 0.05)
        XCTAssertGreaterThan(balanced.frequency(.snow), biased.frequency(.snow))
    }
}
