import XCTest
import Render
@testable import Datasets
import CLIP
import ReCLIP
import SceneWorld

final class WorldDatasetTests: XCTestCase {
    func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("world-\(UUID())")
    }

    func testWrittenDatasetRoundTripsAndIsByteIdenticalForTheSameSeed() throws {
        let world = WorldGenerator(seed: 31, size: 40)
        let a = temporaryFolder(), b = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        let summary = try WorldDataset.write(world, count: 10, to: a, validationFraction: 0.3)
        _ = try WorldDataset.write(world, count: 10, to: b, validationFraction: 0.3)

        let files = try FileManager.default.subpathsOfDirectory(atPath: a.path).filter { !$0.hasSuffix("/") }.sorted()
        XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.count, 20)
        for file in files {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: a.appendingPathComponent(file).path, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            let first = try Data(contentsOf: a.appendingPathComponent(file))
            let second = try Data(contentsOf: b.appendingPathComponent(file))
            XCTAssertEqual(first, second, file)
        }

        let layout = VOCLayout(root: a)
        XCTAssertEqual(try layout.imageIDs(split: "val"), ["world_000000", "world_000001", "world_000002"])
        XCTAssertEqual(try layout.imageIDs(split: "train").count, 7)
        XCTAssertEqual(summary.validationIDs.count + summary.trainingIDs.count, 10)
        let classes = try String(contentsOf: a.appendingPathComponent("classes.txt"), encoding: .utf8)
        XCTAssertEqual(classes.split(separator: "\n").map(String.init), WorldGenerator.classNames)
        let captions = try WorldDataset.captions(in: a)
        for index in 0..<10 {
            let scene = world.scene(index: index)
            let image = try ImageFile.read(path: layout.imagesFolder.appendingPathComponent(scene.id + ".png").path)
            XCTAssertEqual(image.pixels, scene.pixels)
            let mask = try ImageFile.readMask(path: layout.masksFolder.appendingPathComponent(scene.id + ".png").path)
            XCTAssertEqual(mask.width, image.width)
            XCTAssertEqual(mask.height, image.height)
            XCTAssertEqual(mask.labels, scene.labels.map(Int32.init))
            XCTAssertEqual(captions[scene.id], scene.caption)
        }
        XCTAssertEqual(summary.statistics.images, 10)
    }

    /// A sibling world lists its sixteen classes and says so in world.json; a standard one has no vocabulary key.
    func testSiblingWorldWritesItsVocabulary() throws {
        let a = temporaryFolder(), b = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        _ = try WorldDataset.write(WorldGenerator(seed: 3, size: 24), count: 2, to: a)
        let world = WorldGenerator(seed: 3, size: 24, vocabulary: .siblings)
        let summary = try WorldDataset.write(world, count: 6, to: b)
        let classes = try String(contentsOf: b.appendingPathComponent("classes.txt"), encoding: .utf8)
        XCTAssertEqual(classes.split(separator: "\n").map(String.init), WorldVocabulary.siblings.classNames)
        XCTAssertEqual(summary.statistics.vocabulary, .siblings)
        let standard = try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("world.json"))) as? [String: Any]
        let siblings = try JSONSerialization.jsonObject(with: Data(contentsOf: b.appendingPathComponent("world.json"))) as? [String: Any]
        XCTAssertNil(standard?["vocabulary"])
        XCTAssertEqual(siblings?["vocabulary"] as? String, "siblings")
        XCTAssertEqual((siblings?["classes"] as? [String])?.count, 16)
    }

    /// world.json records a non-standard camera, and a standard world's world.json has no camera key.
    func testWorldFileRecordsTheCameraOfAShiftedSite() throws {
        let a = temporaryFolder(), b = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        _ = try WorldDataset.write(WorldGenerator(seed: 3, size: 24), count: 2, to: a)
        _ = try WorldDataset.write(WorldGenerator(seed: 3, size: 24, biases: WorldBiases.default.mixed(.coast), camera: .dusk),
                                   count: 2, to: b)
        let standard = try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("world.json"))) as? [String: Any]
        let shifted = try JSONSerialization.jsonObject(with: Data(contentsOf: b.appendingPathComponent("world.json"))) as? [String: Any]
        XCTAssertNil(standard?["camera"])
        let camera = try XCTUnwrap(shifted?["camera"] as? [String: Any])
        XCTAssertEqual(camera["blurProbability"] as? Double, 1)
        let biases = try XCTUnwrap(shifted?["biases"] as? [String: Any])
        XCTAssertEqual((biases["sceneWeights"] as? [Double])?.map { Float($0) }, WorldSceneMix.coast.weights)
    }

    func testBadArgumentsAreClearErrors() {
        let root = temporaryFolder()
        XCTAssertThrowsError(try WorldDataset.write(WorldGenerator(seed: 1), count: 0, to: root)) { error in
            XCTAssertTrue("\(error)".contains("at least one scene"))
        }
        XCTAssertThrowsError(try WorldDataset.write(WorldGenerator(seed: 1), count: 2, to: root, validationFraction: 2))
        XCTAssertThrowsError(try WorldDataset.captions(in: root)) { error in
            XCTAssertTrue("\(error)".contains("captions.txt"))
        }
    }
}
