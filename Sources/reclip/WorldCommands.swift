import ArgumentParser
import Datasets
import Foundation
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

extension Reclip {
    /// Subcommands of the world area.
    static var worldCommands: [any ParsableCommand.Type] { [WorldCommand.self, WorldStatsCommand.self, TrainCLIPCommand.self, ExportCLIPCommand.self, WorldZeroShotCommand.self] }
}

/// The bias options shared by the world commands.
struct WorldOptions: ParsableArguments {
    @Option(help: "Seed of the world: the same seed always gives the same scenes.")
    var seed: UInt64 = 2024

    @Option(help: "Image side in pixels.")
    var size: Int = 96

    @Flag(help: "Weaken the designed-in biases (equal scene kinds, horizon anywhere, cars and boats anywhere).")
    var balanced = false

    @Option(help: "Site shift: the scene mix, streets (70 % street scenes) or coast (80 % lake and beach); other biases are kept.")
    var sceneMix: WorldSceneMix?

    @Option(help: "Site shift: the camera stage, standard (the training world's) or dusk (dark, warm, soft, grainy).")
    var camera: String = "standard"

    @Flag(help: "Name sixteen classes instead of twelve: houses, pines, the sea and trucks apart from buildings, trees, water and cars.")
    var siblings = false

    func validate() throws {
        guard size >= 16 && size <= 1024 else { throw ValidationError("--size must be between 16 and 1024, not \(size)") }
        _ = try cameraSettings()
    }

    /// `--camera` looked up among the presets.
    func cameraSettings() throws -> WorldCameraSettings {
        guard let preset = WorldCameraSettings.presets.first(where: { $0.name == camera }) else {
            throw ValidationError("--camera \(camera): use one of " + WorldCameraSettings.presets.map(\.name).joined(separator: ", "))
        }
        return preset.settings
    }

    var generator: WorldGenerator {
        let biases: WorldBiases = balanced ? .balanced : .default
        return WorldGenerator(seed: seed, size: size, biases: sceneMix.map(biases.mixed) ?? biases,
                              camera: (try? cameraSettings()) ?? .standard, vocabulary: siblings ? .siblings : .standard)
    }
}

/// `--scene-mix streets|coast`, parsed by the argument parser (which lists the values in errors).
extension WorldSceneMix: ExpressibleByArgument {}

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
        let writing = ProgressLine()
        let summary = try WorldDataset.write(world.generator, count: count, to: PathBytes.fileURL(out),
                                             validationFraction: valFraction) { done in
            writing.update("\(done)/\(count) scenes", done: done, total: count)
        }
        writing.finish()
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
        var statistics = WorldStatistics(vocabulary: generator.vocabulary)
        for i in 0..<count {
            let scene = generator.scene(index: i)
            statistics.add(scene)
            if i < captions { print("\(scene.id)  [\(scene.kind.name)]  \(scene.caption)") }
        }
        print(statistics.table)
    }
}

/// `reclip train-clip --world SEED --out DIR [--steps N] [--resume]`: trains a small CLIP on
/// the image-caption pairs of a scene world (contrastive loss only).
struct TrainCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-clip",
        abstract: "Train a small CLIP from scratch on a scene world's image-caption pairs, with checkpoints and resume.")

    @Option(help: "Seed of the scene world to train on.")
    var world: UInt64 = 2024

    @Option(help: "Output folder: checkpoint.safetensors during training, mini-clip.safetensors (F16) at the end.")
    var out: String

    @Option(help: "Total optimisation steps.")
    var steps: Int = 2000

    @Option(help: "Image-caption pairs per step.")
    var batch: Int = 64

    @Option(help: "Peak learning rate (linear warm-up, cosine decay).")
    var lr: Float = 5e-4

    @Option(help: "Steps between checkpoints.")
    var checkpointEvery: Int = 100

    @Option(help: "Probability that a training caption names only the scene's most salient classes (0 = always all).")
    var salientCaptions: Float = 0

    @Option(help: "Probability that a training pair is a random crop of its scene, captioned with the classes inside it (0 = whole scenes only).")
    var cropCaptions: Float = 0

    @Flag(help: "Train on the sixteen-class world (`reclip world --siblings`).")
    var siblings = false

    @Option(help: "Probability that a training pair also brings a hard-negative caption that gets one class wrong (a sibling swapped in, one left out or one added); 0 = none.")
    var hardNegatives: Float = 0

    @Option(help: "Global image embedding: cls (the class token, as OpenAI's CLIP) or avg (the mean of the patch tokens, open_clip's pool_type='avg').")
    var pooling: String = "cls"

    @Flag(help: "Continue from OUT/checkpoint.safetensors (its settings win; --steps may extend the run).")
    var resume = false

    func validate() throws {
        guard steps > 0, batch >= 2, checkpointEvery > 0 else {
            throw ValidationError("--steps and --checkpoint-every must be positive and --batch at least 2")
        }
        guard (0...1).contains(salientCaptions) else { throw ValidationError("--salient-captions must be between 0 and 1") }
        guard (0...1).contains(cropCaptions) else { throw ValidationError("--crop-captions must be between 0 and 1") }
        guard (0...1).contains(hardNegatives) else { throw ValidationError("--hard-negatives must be between 0 and 1") }
        guard ImagePooling(rawValue: pooling) != nil else { throw ValidationError("--pooling must be cls or avg, not \(pooling)") }
    }

    func run() throws {
        var settings = MiniCLIPTrainingSettings()
        settings.worldSeed = world
        settings.steps = steps
        settings.batchSize = batch
        settings.learningRate = lr
        settings.checkpointEvery = checkpointEvery
        settings.salientCaptions = salientCaptions > 0 ? salientCaptions : nil
        settings.crops = cropCaptions > 0 ? WorldCropSettings(probability: cropCaptions) : nil
        settings.hardNegatives = hardNegatives > 0 ? hardNegatives : nil
        settings.vocabulary = siblings ? .siblings : nil
        if let p = ImagePooling(rawValue: pooling), p != .classToken { settings.config.pooling = p }
        var trainer = try MiniCLIPTrainer(settings: settings, folder: PathBytes.fileURL(out), resume: resume)
        if trainer.step > 0 { print("resuming at step \(trainer.step) of \(trainer.settings.steps)") }
        print("training a \(trainer.model.parameters.count)-parameter CLIP on world \(trainer.settings.worldSeed)")
        var averageSeconds: Double?
        try trainer.run { p in
            averageSeconds = averageSeconds.map { 0.9 * $0 + 0.1 * p.secondsPerStep } ?? p.secondsPerStep
            let remaining = Int((averageSeconds ?? 0) * Double(p.steps - p.step) / 60)
            var line = String(format: "step %d/%d  loss %.4f  batch acc %.2f  lr %.2e  logit scale %.1f  %.2f s/step  ~%d min left",
                              p.step, p.steps, p.loss, p.accuracy, p.learningRate, p.temperature, p.secondsPerStep, remaining)
            if let v = p.validationAccuracy { line += String(format: "  held-out acc %.3f", v) }
            if let auc = p.presenceAUC { line += String(format: "  presence AUC %.3f  (checkpoint)", auc) }
            print(line)
            fflush(nil)  // every output stream: Swift 6 refuses a reference to the global `stdout`
        }
        print("wrote \(trainer.modelURL.path)")
    }
}

/// `reclip export-clip CHECKPOINT --out FILE`: the model of a `train-clip` checkpoint, at
/// whatever step it reached, as the F16 OpenAI-layout file the engine loads.
struct ExportCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-clip",
        abstract: "Write the small CLIP of a train-clip checkpoint as an F16 OpenAI-layout mini-clip.safetensors.")

    @Argument(help: "A train-clip checkpoint.safetensors (or the folder holding it).")
    var checkpoint: String

    @Option(help: "The model file to write (atomically).")
    var out: String

    func run() throws {
        var url = PathBytes.fileURL(checkpoint)
        if PathKind.of(url.path) == .folder {
            url = url.appendingPathComponent("checkpoint.safetensors")
        }
        let step = try MiniCLIPTrainer.exportModel(checkpoint: url, to: out)
        print("wrote \(out) (step \(step))")
    }
}

/// `reclip world-zeroshot [--weights W] --seed S --count N`: zero-shot image classification of
/// generated scenes (top-1 accuracy and per-class presence AUC).
struct WorldZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world-zeroshot",
        abstract: "Zero-shot classification of generated scenes by a CLIP: top-1 accuracy and per-class presence AUC.")

    @Option(help: "CLIP weights (.safetensors); without, the bundled world model (models/world).")
    var weights: String?

    @Option(help: "Seed of the world to evaluate on (choose one never trained on).")
    var seed: UInt64 = 777

    @Flag(help: "Evaluate on the sixteen-class world (`reclip world --siblings`).")
    var siblings = false

    @Option(help: "Number of scenes (scene 0 on).")
    var count: Int = 200

    @Option(help: "Input size in pixels (the world is generated at this size).")
    var size: Int = 96

    @Flag(help: "Print a JSON object instead of a table.")
    var json = false

    func run() throws {
        let path = try weights ?? BundledModel.locate(executable: BundledFolder.currentExecutable).weights.path
        let model = try RectifierInputs.model(path)
        let world = WorldGenerator(seed: seed, size: size, vocabulary: siblings ? .siblings : .standard)
        let report = try WorldZeroShot.evaluate(model: model, world: world, count: count, size: size)
        if json {
            func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
            let object = ZeroShotJSON(images: report.images, top1: finite(report.topOneAccuracy),
                                      mean_presence_auc: finite(report.meanPresenceAUC),
                                      presence_auc: Dictionary(uniqueKeysWithValues: zip(report.classes.map(\.name), report.presenceAUC.map(finite))),
                                      mean_softmax_presence_auc: finite(report.meanSoftmaxPresenceAUC),
                                      softmax_presence_auc: Dictionary(uniqueKeysWithValues: zip(report.classes.map(\.name), report.softmaxPresenceAUC.map(finite))))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(object), as: UTF8.self))
        } else {
            print(report.table)
        }
    }
}

/// What `reclip world-zeroshot --json` prints: fractions, null where undefined.
struct ZeroShotJSON: Codable {
    var images: Int
    var top1: Double?
    var mean_presence_auc: Double?
    var presence_auc: [String: Double?]
    /// By each scene's softmax probability of the class instead of its cosine (`WorldZeroShot`).
    var mean_softmax_presence_auc: Double?
    var softmax_presence_auc: [String: Double?]
}
