import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// The settings of a contrastive training run on a scene world; stored in every checkpoint
/// so that `--resume` continues the same run.
public struct MiniCLIPTrainingSettings: Sendable, Equatable, Codable {
    /// Seed of the scene world the image-caption pairs come from.
    public var worldSeed: UInt64 = 2024
    /// Seed of the parameter initialisation.
    public var modelSeed: UInt64 = 1
    public var steps = 2000
    public var batchSize = 64
    /// Peak learning rate, reached after `warmupSteps` and decayed with a cosine to 0.
    public var learningRate: Float = 5e-4
    public var warmupSteps = 100
    public var weightDecay: Float = 0.1
    /// Steps between checkpoints.
    public var checkpointEvery = 100
    /// `WorldBiases.salientCaptionProbability` of the training world (nil: the default, 0).
    public var salientCaptions: Float?
    /// Captioned crops mixed into the training batches (nil: whole scenes only).
    public var crops: WorldCropSettings?
    /// Probability that a pair brings a hard-negative caption, one class off (nil: none).
    public var hardNegatives: Float?
    /// The world's vocabulary (nil: the standard twelve classes).
    public var vocabulary: WorldVocabulary?
    public var config = MiniCLIPConfig.default

    public init() {}

    /// Learning rate at `step` (0-based): linear warm-up, then cosine decay.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return learningRate * Float(step + 1) / Float(warmupSteps) }
        let progress = Float(step - warmupSteps) / Float(max(1, steps - warmupSteps))
        return learningRate * 0.5 * (1 + cosf(Float.pi * min(1, progress)))
    }
}

/// One line of training progress.
public struct MiniCLIPProgress: Sendable {
    public let step: Int
    public let steps: Int
    public let loss: Float
    public let accuracy: Float
    public let learningRate: Float
    public let temperature: Float
    public let secondsPerStep: Double
    /// Image-to-text retrieval accuracy on a held-out batch, when measured at this step.
    public let validationAccuracy: Float?
    /// Mean zero-shot class-presence AUC on 256 held-out scenes, when measured at this step.
    public let presenceAUC: Double?
}

/// A training-run problem, for the person at the keyboard.
public struct MiniCLIPTrainingError: Error, CustomStringConvertible {
    public let description: String
}

/// Trains a small CLIP on image-caption pairs of a scene world with the symmetric
/// contrastive loss only (no pixel labels), with atomic checkpoints and resume.
///
/// ```
/// OUT/checkpoint.safetensors   parameters + AdamW moments (F32), metadata: step, settings
/// OUT/mini-clip.safetensors    the model, OpenAI state-dict layout, F16 (written at the end)
/// ```
public struct MiniCLIPTrainer {
    public let settings: MiniCLIPTrainingSettings
    public let folder: URL
    public private(set) var model: MiniCLIP
    public private(set) var optimiser: AdamW
    public private(set) var step = 0
    public let batches: WorldCaptionBatches

    public var checkpointURL: URL { folder.appendingPathComponent("checkpoint.safetensors") }
    public var modelURL: URL { folder.appendingPathComponent("mini-clip.safetensors") }

    /// Starts a run in `folder`, or resumes the one whose checkpoint is there.
    public init(settings: MiniCLIPTrainingSettings, folder: URL, resume: Bool) throws {
        try FolderCreation.make(folder.path)
        self.folder = folder
        var settings = settings
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        if resume, PathKind.of(checkpoint.path) != nil {
            let saved = try Self.readCheckpoint(checkpoint, moments: true)
            var stored = saved.settings
            stored.steps = max(stored.steps, settings.steps)
            settings = stored
            model = saved.model
            optimiser = saved.optimiser
            step = saved.step
        } else {
            model = MiniCLIP(config: settings.config, seed: settings.modelSeed)
            optimiser = AdamW(like: model.parameters)
        }
        optimiser.weightDecay = settings.weightDecay
        self.settings = settings
        var biases = WorldBiases.default
        biases.salientCaptionProbability = settings.salientCaptions ?? 0
        batches = WorldCaptionBatches(world: WorldGenerator(seed: settings.worldSeed, size: settings.config.imageSize, biases: biases,
                                                            vocabulary: settings.vocabulary ?? .standard),
                                      tokenizer: try CLIPTokenizer.shared(), contextLength: settings.config.contextLength,
                                      crops: settings.crops, hardNegatives: settings.hardNegatives ?? 0)
    }

    /// Image-to-text retrieval accuracy on the held-out batch (scenes from `validationStart`).
    public func validationAccuracy(batchSize: Int = 64) throws -> Float {
        let batch = try batches.batch(first: WorldCaptionBatches.validationStart, size: batchSize)
        let image = model.imageForward(batch.pixels, batch: batchSize).embedding
        let text = model.textForward(batch.tokens, batch: batchSize).embedding
        return ContrastiveLoss.forwardBackward(image: image, text: text, logScale: model.parameters["logit_scale"][0],
                                               batch: batchSize, dim: model.config.embedDim).accuracy
    }

    /// Trains until `settings.steps`, checkpointing every `checkpointEvery` steps and at the
    /// end, then writes the F16 model.
    public mutating func run(progress: (MiniCLIPProgress) -> Void) throws {
        let scaleIndex = model.parameters.index("logit_scale")
        while step < settings.steps {
            let start = Date()
            let batch = try batches.training(step: step, size: settings.batchSize)
            let result = model.lossAndGradients(pixels: batch.pixels, tokens: batch.tokens, negatives: batch.negatives,
                                                batch: settings.batchSize)
            guard result.loss.isFinite else {
                throw MiniCLIPTrainingError(description: "training diverged at step \(step) (loss \(result.loss)); resume from the last checkpoint with a lower --lr")
            }
            let lr = settings.learningRate(at: step)
            optimiser.update(&model.parameters, grads: result.grads, lr: lr)
            // CLIP clips the learned temperature at 100.
            model.parameters.values[scaleIndex][0] = min(model.parameters.values[scaleIndex][0], logf(100))
            step += 1
            let checkpointDue = step % settings.checkpointEvery == 0 || step == settings.steps
            if checkpointDue { try saveCheckpoint() }
            let seconds = Date().timeIntervalSince(start)
            progress(MiniCLIPProgress(step: step, steps: settings.steps, loss: result.loss, accuracy: result.accuracy,
                                      learningRate: lr, temperature: expf(model.parameters.values[scaleIndex][0]),
                                      secondsPerStep: seconds,
                                      validationAccuracy: checkpointDue ? try validationAccuracy() : nil,
                                      presenceAUC: checkpointDue ? try ZeroShotPresence.areaUnderCurve(model: model, batches: batches).mean : nil))
        }
        try model.writeHalfPrecision(to: modelURL.path, metadata: ["world_seed": String(settings.worldSeed), "steps": String(step)])
    }


    /// A checkpoint read back: the model, the AdamW moments (zeros unless `moments`), the step
    /// reached and the run's settings.
    public static func readCheckpoint(_ url: URL, moments: Bool) throws
        -> (model: MiniCLIP, optimiser: AdamW, step: Int, settings: MiniCLIPTrainingSettings) {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: url.path) } catch {
            throw MiniCLIPTrainingError(description: "\(url.path): not a reclip train-clip checkpoint (\(error))")
        }
        guard let json = file.metadata["settings"], let stepText = file.metadata["step"], let step = Int(stepText),
              let settings = try? JSONDecoder().decode(MiniCLIPTrainingSettings.self, from: Data(json.utf8)) else {
            throw MiniCLIPTrainingError(description: "\(url.path): not a reclip train-clip checkpoint (no settings or step)")
        }
        var parameters = ParameterSet(layout: settings.config.parameterLayout)
        var first = parameters.zeros(), second = parameters.zeros()
        for (i, name) in parameters.names.enumerated() {
            parameters.values[i] = try file.floats(name)
            if moments {
                first.values[i] = try file.floats("adamw.m." + name)
                second.values[i] = try file.floats("adamw.v." + name)
            }
            guard parameters.values[i].count == parameters.shapes[i].reduce(1, *) else {
                throw MiniCLIPTrainingError(description: "\(url.path): \(name) has the wrong size")
            }
        }
        return (MiniCLIP(config: settings.config, parameters: parameters), AdamW(first: first, second: second, step: step),
                step, settings)
    }

    /// Writes the model of a checkpoint at whatever step it reached as the F16 OpenAI-layout
    /// file `mini-clip.safetensors` is (the same metadata as the end of a run); returns the step.
    @discardableResult
    public static func exportModel(checkpoint: URL, to path: String) throws -> Int {
        let saved = try readCheckpoint(checkpoint, moments: false)
        try saved.model.writeHalfPrecision(to: path, metadata: ["world_seed": String(saved.settings.worldSeed),
                                                                "steps": String(saved.step)])
        return saved.step
    }

    /// Writes parameters and optimiser moments (F32) with the step and settings, atomically.
    public func saveCheckpoint() throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        let p = model.parameters
        for (i, name) in p.names.enumerated() {
            tensors.append((name, Tensor(shape: p.shapes[i], data: p.values[i])))
        }
        for (i, name) in p.names.enumerated() {
            tensors.append(("adamw.m." + name, Tensor(shape: p.shapes[i], data: optimiser.first.values[i])))
            tensors.append(("adamw.v." + name, Tensor(shape: p.shapes[i], data: optimiser.second.values[i])))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same run writes the same bytes
        let json = String(decoding: try encoder.encode(settings), as: UTF8.self)
        try SafeTensorsWriter.write(tensors, metadata: ["step": String(step), "settings": json], to: checkpointURL.path)
    }
}
