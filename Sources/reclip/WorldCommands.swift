import ArgumentParser
import Datasets
import Foundation
import Segmentation

extension Reclip {
    /// Subcommands of the world area.
    static var worldCommands: [any ParsableCommand.Type] { [WorldCommand.self, WorldStatsCommand.self] }
}

/// The bias options shared by the world commands.
struct WorldOptions: ParsableArguments {
    @Option(help: "Seed of the world: the same seed always gives the same scenes.")
    var seed: UInt64 = 2024

    @Option(help: "Image side in pixels.")
    var size: Int = 96

    @Flag(help: "Weaken the designed-in biases (equal scene kinds, horizon anywhere, cars and boats anywhere).")
    var balanced = false

    func validate() throws {
        guard size >= 16 && size <= 1024 else { throw ValidationError("--size must be between 16 and 1024, not \(size)") }
    }

    var generator: WorldGenerator {
        WorldGenerator(seed: seed, size: size, biases: balanced ? .balanced : .default)
    }
}

/// `reclip world --seed S --count N --out DIR`: writes a generated scene world as a VOC-layout dataset.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "Write procedural scenes with ground-truth masks and captions as a PASCAL VOC-layout dataset.")

    @OptionGroup var world: WorldOptions

    @Option(help: "Number of scenes.")
    var count: Int

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Fraction of the scenes (the first ones) listed in val.txt; the rest go to train.txt.")
    var valFraction: Double = 0.2

    @Flag(help: "Print class statistics of the written scenes.")
    var stats = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let start = Date()
        let summary = try WorldDataset.write(world.generator, count: count, to: URL(fileURLWithPath: out),
                                             validationFraction: valFraction) { done in
            if done % 1000 == 0 || done == count {
                FileHandle.standardError.write(Data("\r\(done)/\(count) scenes".utf8))
            }
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("wrote \(count) scenes (\(summary.validationIDs.count) val, \(summary.trainingIDs.count) train) to \(out) in "
              + String(format: "%.1f s", Date().timeIntervalSince(start)))
        if stats { print(summary.statistics.table) }
    }
}

/// `reclip world-stats --seed S --count N`: measures the biases of a world without writing it.
struct WorldStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world-stats",
        abstract: "Measure class frequency, vertical position and co-occurrence in generated scenes.")

    @OptionGroup var world: WorldOptions

    @Option(help: "Number of scenes to measure.")
    var count: Int = 2000

    @Option(help: "Also print this many example captions.")
    var captions: Int = 0

    func run() throws {
        let generator = world.generator
        var statistics = WorldStatistics()
        for i in 0..<count {
            let scene = generator.scene(index: i)
            statistics.add(scene)
            if i < captions { print("\(scene.id)  [\(scene.kind.name)]  \(scene.caption)") }
        }
        print(statistics.table)
    }
}
