import Pixels
import ArgumentParser
import Datasets
import Foundation
import Math
import Render
import TUI
import FileIO
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

extension Reclip {
    /// Subcommands of the rectifier area.
    static var rectifierCommands: [any ParsableCommand.Type] {
        [SegmentCommand.self, TrainCommand.self, AdaptCommand.self, ReferenceCommand.self, EvalCommand.self]
    }
}

/// A command-line problem of the rectifier commands, for the person at the keyboard.
struct RectifierCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Shared loading for segment, train and eval.
enum RectifierInputs {
    static func classes(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw RectifierCommandError("--classes: no class names in \"\(text)\"") }
        return names
    }

    /// The weights at `path`, their image tower in `precision` (a fallback's notice on stderr).
    static func model(_ path: String, precision: Precision = .fp32) throws -> CLIPModel {
        guard PathKind.of(path) != nil else { throw RectifierCommandError("\(terminalSafe(path)): no such weights file") }
        let (model, notice) = try CLIPModel.load(contentsOf: path, precision: precision)
        if let notice { stderr(notice + "\n") }
        return model
    }

    /// The rectifier file at `path` that `adapt` and `reference` start from, read against the
    /// CLIP at `weights` (its image tower in `precision`): a one-line error for a missing
    /// weights or rectifier file. `classes` only for a file that does not record its own.
    static func start(_ path: String, weights: String, precision: Precision, classes: String?) throws
        -> (model: CLIPModel, hash: String, url: URL, rectifier: Rectifier) {
        let model = try Self.model(weights, precision: precision)
        let hash = try weightsHash(weights)
        guard PathKind.of(path) != nil else { throw RectifierCommandError("\(terminalSafe(path)): no such rectifier file") }
        let url = PathBytes.fileURL(path)
        return (model, hash, url, try Rectifier.load(from: url, classes: try classes.map(Self.classes), weightsHash: hash))
    }

    static func pixels(_ path: String) throws -> RGBImage {
        let image = try ImageFile.read(path: path)
        return image
    }

    /// The rectifier (checked against classes, weights and the requested variant), or nil.
    static func rectifier(_ path: String?, classes: [String], weightsHash: String, variant: RectifierVariant?) throws -> Rectifier? {
        guard let path else { return nil }
        guard PathKind.of(path) != nil else { throw RectifierCommandError("\(terminalSafe(path)): no such rectifier file") }
        let r = try Rectifier.load(from: PathBytes.fileURL(path), classes: classes, weightsHash: weightsHash)
        if let variant, variant != r.variant {
            throw RectifierCommandError("\(terminalSafe(path)): holds a \(r.variant.rawValue) rectifier, not \(variant.rawValue)")
        }
        return r
    }


    static func weightsHash(_ path: String) throws -> String {
        try WeightsIdentity.contentHash(of: PathBytes.fileURL(path), memo: ClassifierCache.defaultFolder)
    }

    static func stderr(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

/// `reclip segment`: one image, its raw logits, biases and rectified labels.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment one image with a dense head (MaskCLIP, SCLIP, ClearCLIP, NACLIP) and, given a rectifier, ReCLIP / ReCLIP++ rectification.")

    @OptionGroup var model: ModelOptions
    @Option(help: "Dense head: maskclip (ReCLIP's base), sclip, clearclip (the paper's q-q attention) or naclip.") var head: DenseHead = .maskclip
    @Option(help: "Prompt templates: reclip85 or imagenet80 (default: the head's paper's, reclip85 for maskclip, imagenet80 for the others).")
    var templates: PromptTemplateSet?
    @OptionGroup var inference: InferenceArguments
    @Option(help: "The image (PNG or JPEG).") var image: String
    @Option(help: "Class names, comma-separated, in logit order (default with the bundled model: the world's 12 classes).") var classes: String?
    @Option(help: "Expected rectifier variant: reclip or reclip++ (checked against the file).") var variant: RectifierVariant?
    @Option(help: "Rectification strength: logits = raw - alpha * bias.") var alpha: Float = 1
    @Option(help: "Presence detection threshold (tools/test.py); off when absent.") var presence: Float?
    @Option(help: "Write the label mask as a palette PNG.") var maskOut: String?
    @Option(help: "Write raw, class_bias, space_bias, bias, rectified, output [K,h,w] on the patch grid, classifier [K,D], and refined [K,H,W] after --window / --pamr.") var dump: String?

    func validate() throws {
        guard alpha.isFinite, (0...10).contains(alpha) else { throw ValidationError("--alpha \(alpha): use 0...10") }
        if let size = model.size, let problem = inference.windowProblem(size: size) { throw ValidationError(problem) }
        try inference.check(rectifier: model.rectifier)
        if let variant, model.rectifier == Rectification.classToken.rawValue {
            throw ValidationError("--variant \(variant.rawValue): --rectifier cls-subtract is training-free, not a trained variant")
        }
        if let presence, !(presence.isFinite && (0...1).contains(presence)) {
            throw ValidationError("--presence \(presence): a probability, 0...1")
        }
    }

    func run() throws {
        let selection = try self.model.resolve(defaultSize: 448)
        guard let classList = classes ?? selection.bundled.map({ _ in BundledModel.classes.joined(separator: ",") }) else {
            throw RectifierCommandError("--classes is required with --weights")
        }
        let names = try RectifierInputs.classes(classList)
        // Checked before any work: a palette PNG has 256 entries.
        if maskOut != nil && names.count > 256 {
            throw RectifierCommandError("--mask-out: a palette PNG holds at most 256 classes, and \(names.count) are given")
        }
        let model = try RectifierInputs.model(selection.weights, precision: self.model.precision)
        let hash = try RectifierInputs.weightsHash(selection.weights)
        let options = try inference.options(size: selection.size)
        let r = try RectifierInputs.rectifier(selection.rectifier, classes: names, weightsHash: hash, variant: variant)
        if r == nil && !selection.classTokenRectifier { RectifierInputs.stderr("no rectifier: showing raw \(head.displayName)\n") }
        var segmenter = try Segmenter(model: model, classes: names, rectifier: r,
                                      classifierCache: ClassifierCache(weightsHash: hash), head: head, templates: templates,
                                      classTokenRectifier: selection.classTokenRectifier)
        segmenter.classTokenSubtraction = inference.classTokenSubtraction
        if let note = segmenter.rectifierNote { RectifierInputs.stderr(note + "\n") }
        let pixels = try RectifierInputs.pixels(image)
        let t0 = DispatchTime.now().uptimeNanoseconds
        // The patch-grid maps (what --dump holds), and the maps the labels come from.
        var grid: SegmentationMaps?
        let maps: SegmentationMaps
        if options.window == nil {
            let g = try segmenter.segment(pixels, size: selection.size, name: image)
            grid = g
            maps = options.pamrSteps > 0
                ? segmenter.refined(g, image: pixels, size: selection.size, steps: options.pamrSteps) : g
        } else {
            maps = try segmenter.segment(pixels, size: selection.size, options: options, name: image)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if dump != nil && grid == nil { grid = try segmenter.segment(pixels, size: selection.size, name: image) }
        let presenceRule = presence.map { (scale: r?.variant.presenceScale ?? head.logitScale, threshold: $0) }
        let labels = maps.labels(alpha: alpha, width: pixels.width, height: pixels.height, presence: presenceRule,
                                 background: inference.backgroundRule(head: head))
        let patchGrid = model.patchGrid(ImagePreprocessing.denseInput(pixels, shortSide: selection.size), head: head)
        print(SegmentationSummary(maps: maps, labels: labels, alpha: alpha, seconds: seconds, head: head,
                                  grid: (patchGrid.width, patchGrid.height), inference: options).text)
        if let maskOut {
            let mask = IndexedImage(width: pixels.width, height: pixels.height, indices: labels.map { UInt8(clamping: $0) },
                                    palette: ClassPalette.forClasses(names))
            try PNGCodec.write(mask, to: maskOut)
        }
        if let dump {
            try SegmentationDump(maps: grid ?? maps, classifier: segmenter.classifier, alpha: alpha, head: head,
                                 templates: segmenter.templates, refined: options.isPlain ? nil : maps,
                                 inference: options, classTokenSubtraction: segmenter.classTokenSubtraction)
                .write(to: PathBytes.fileURL(dump))
        }
    }
}

/// `reclip train`: unsupervised training of a rectifier on a folder of images.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a ReCLIP / ReCLIP++ rectifier without labels on a folder of images.")

    @Option(help: "CLIP weights (.safetensors).") var weights: String
    @Option(help: "Folder of training images (PNG/JPEG, any sizes; JPEGImages/ inside is used if present).") var images: String
    @Option(help: "Class names, comma-separated.") var classes: String
    @Option(help: "reclip or reclip++.") var variant: RectifierVariant = .reclip
    @Option(help: "Epochs (default 10; with --init, the few-image schedule's: for ReCLIP enough passes for about 100 steps, at most 20; for ReCLIP++ enough for 5 steps).")
    var epochs: Int?
    @Option(help: "Images per step (default 1; with --init, the few-image schedule's: 1 for ReCLIP, the folder in batches of at most 20 for ReCLIP++).")
    var batch: Int?
    @Option(help: "Training crop size in pixels.") var size: Int = 336
    @Option(help: "Base learning rate (poly decay, power 0.9, per epoch; default 0.01, with --init the few-image schedule's: 0.002 for ReCLIP, 0.001 for ReCLIP++).")
    var lr: Float?
    @Option(name: .customLong("init"), help: "Start from this rectifier (the bundled one or any compatible file: same classes, CLIP weights, variant and head) instead of from scratch, with the few-image schedule; the output records it.")
    var initialisation: String?
    @OptionGroup var adapting: AdaptationOptions
    @Option(help: "Random seed (initialisation, order, Gumbel noise).") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Train once with each of these seeds (comma-separated, 2 to 16 of them) and keep the run whose last epoch had the lowest mean training loss, a choice that needs no labels; the kept file records every seed's loss (seed_selection). Not with --seed, --resume or --adaptation shift-test.", valueName: "s1,s2,..."))
    var seeds: String?
    @Option(help: "The rectifier file to write.") var out: String
    @Flag(help: "Continue from the checkpoint in --out.") var resume = false
    @Option(help: "Write a checkpoint every N steps.") var checkpointEvery: Int = 50
    @Option(help: "ReCLIP pseudo labels: classes whose global logit (logit scale x cosine) reaches this (the authors' VOC value).")
    var labelThreshold: Float = 23
    @Option(help: "ReCLIP pseudo labels: the top K classes when none reaches --label-threshold.")
    var labelTopK: Int = 2
    @Option(help: "ReCLIP++ pseudo labels: side in pixels of the sliding crops that vote (the authors: 56 for 336 px images).")
    var cropWindow: Int = 56
    @Option(help: "ReCLIP++ pseudo labels: stride in pixels of the sliding crops.")
    var cropStep: Int = 28
    @Option(help: "ReCLIP++ pseudo labels: crops (top-1 votes) a class needs (the authors: 1).")
    var cropMinVotes: Int = 1
    @Option(help: "Where the pseudo labels come from: global (the global embedding's logits: ReCLIP's rule), crop-vote (ReCLIP++'s) or dense-share (the classes raw dense logits' arg-max gives at least --label-min-share of the training crop's patches); default: the variant's own.")
    var pseudoLabels: PseudoLabelSource?
    @Option(help: "dense-share pseudo labels: the share of the training crop's patches (0 to 1) a class needs.")
    var labelMinShare: Float = 0.15
    @Option(help: "Dense head whose logits the rectifier learns the bias of: maskclip (the authors'), sclip, clearclip or naclip; recorded in the file.")
    var head: DenseHead = .maskclip
    @Option(help: ArgumentHelp("Image-level labels instead of pseudo labels: a JSON object, image file name -> class names. A diagnostic of what the pseudo labels cost (the run is then supervised at image level; scripts/diagnostics/image_labels.py writes one from a world's masks).", valueName: "file.json"))
    var imageLabels: String?
    @Option(help: "Arithmetic of the image tower that prepares the features and of the text tower the Reference prompt trains through: fp32 (the reference) or bf16 (bfloat16 linear layers, float32 accumulation; needs AVX512_BF16, else fp32 with a notice). Recorded in the file.")
    var precision: Precision = .fp32

    func validate() throws {
        if let epochs { try OptionRange.check(epochs, in: 1...10_000, "--epochs") }
        if let batch { try OptionRange.check(batch, in: 1...256, "--batch", unit: "images") }
        // A crop smaller than 16 px leaves the ViT too few patches to learn a bias map from.
        try OptionRange.check(size, in: 16...ModelSelection.sizeRange.upperBound, "--size", unit: "pixels")
        if let lr { try OptionRange.check(lr, in: 1e-8...10, "--lr") }
        try OptionRange.check(checkpointEvery, in: 0...1_000_000, "--checkpoint-every", unit: "steps")
        try OptionRange.check(labelThreshold, in: -1000...1000, "--label-threshold")
        try OptionRange.check(labelTopK, in: 1...1000, "--label-top-k", unit: "classes")
        try OptionRange.check(cropWindow, in: 8...size, "--crop-window", unit: "pixels (at most --size)")
        try OptionRange.check(cropStep, in: 1...cropWindow, "--crop-step", unit: "pixels (at most --crop-window)")
        try OptionRange.check(cropMinVotes, in: 1...10_000, "--crop-min-votes")
        try OptionRange.check(labelMinShare, in: 0.001...1, "--label-min-share")
        if let method = adapting.adaptation, method != .steps, initialisation == nil {
            throw ValidationError("--adaptation \(method.rawValue) adapts a rectifier: give the one to start from with --init")
        }
        if seeds != nil {
            _ = try seedList()
            if seed != 0 { throw ValidationError("--seed \(seed) and --seeds: give one of them") }
            if resume { throw ValidationError("--seeds trains each seed from its start: it cannot --resume") }
            if adapting.adaptation == .shiftTest { throw ValidationError("--seeds with --adaptation shift-test: the shift test takes no step, so seeds cannot differ") }
        }
    }

    /// `--seeds` parsed: 2 to 16 distinct non-negative integers.
    func seedList() throws -> [UInt64]? {
        guard let seeds else { return nil }
        let parts = seeds.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { UInt64($0) }
        guard values.count == parts.count, (2...16).contains(values.count), Set(values).count == values.count else {
            throw ValidationError("--seeds \(seeds): give 2 to 16 different non-negative integers separated by commas, e.g. 0,1,2,3")
        }
        return values
    }

    func run() throws {
        let names = try RectifierInputs.classes(classes)
        let files = try ImageFolder.list(images)
        let model = try RectifierInputs.model(weights, precision: precision)
        let hash = try RectifierInputs.weightsHash(weights)
        let schedule = initialisation.map { _ in AdaptationSchedule(images: files.count, variant: variant) }
        var config = trainingConfiguration(epochs: epochs ?? schedule?.epochs ?? 10, batch: batch ?? schedule?.batchSize ?? 1,
                                           learningRate: lr ?? schedule?.learningRate ?? 0.01)
        config.initialisation = initialisation.map { PathBytes.fileURL($0) }
        config.givenLabels = try imageLabels.map { try GivenImageLabels(contentsOf: $0, classes: names) }
        config.precision = precision
        if let seeds = try seedList() {
            try TrainCommand.runSeeds(seeds, config, model: model, hash: hash, classes: names, images: files, output: out)
        } else {
            _ = try TrainCommand.run(config, model: model, hash: hash, classes: names, images: files, output: out, resume: resume)
        }
    }

    /// Trains `config` once per seed, each into a file beside `out`, then writes the run
    /// `SeedSelection` keeps to `out` (atomically, with `seed_selection` recorded) and removes the
    /// others. Interrupted, it writes nothing and removes what it made.
    static func runSeeds(_ seeds: [UInt64], _ config: TrainingConfiguration, model: CLIPModel, hash: String,
                         classes: [String], images files: [URL], output out: String) throws {
        let partials = Dictionary(uniqueKeysWithValues: seeds.map { ($0, out + ".seed-\($0).partial") })
        if let taken = seeds.compactMap({ partials[$0] }).first(where: { PathKind.of($0) != nil }) {
            throw RectifierCommandError("\(terminalSafe(taken)): already exists; --seeds trains each seed into this name beside --out (remove it)")
        }
        // None of these names existed, so every one is this run's to remove, finished or not.
        defer { for path in partials.values { FileChanges.remove(path) } }
        var runs: [SeedSelection.Run] = []
        for (i, seed) in seeds.enumerated() {
            var c = config
            c.seed = seed
            c.checkpointEvery = 0
            RectifierInputs.stderr("seed \(seed) (\(i + 1) of \(seeds.count))\n")
            guard let outcome = try run(c, model: model, hash: hash, classes: classes, images: files, output: partials[seed]!,
                                        resume: false, announce: false) else {
                print("interrupted at seed \(seed): no rectifier written to \(terminalSafe(out))")
                return
            }
            let finished = SeedSelection.Run(seed: seed, lastEpochLoss: outcome.lastEpochLoss)
            runs.append(finished)
            print("seed \(seed): \(outcome.steps) steps, last-epoch loss \(finished.lossText)")
        }
        let selection = SeedSelection(runs: runs)
        guard let kept = selection.kept, let path = partials[kept.seed] else {
            throw RectifierCommandError("--seeds: no run ended with a finite last-epoch loss (\(selection.record)); nothing written")
        }
        // The kept run's file as it is (rectifier, feature reference, momentum), one record added.
        let file = try SafeTensorsFile(path: path)
        var metadata = file.metadata
        metadata["seed_selection"] = selection.record
        let tensors = try file.names.sorted().map { (name: $0, tensor: try file.tensor($0)) }
        try SafeTensorsWriter.write(tensors, metadata: metadata, to: out)
        print("\(selection.record): \(terminalSafe(out))")
    }

    /// The run's settings from the options, with the epochs, batch size and learning rate decided.
    func trainingConfiguration(epochs: Int, batch: Int, learningRate: Float) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.variant = variant
        config.epochs = epochs; config.batchSize = batch; config.size = size; config.seed = seed
        config.checkpointEvery = checkpointEvery; config.optimiser.learningRate = learningRate
        config.labelThreshold = labelThreshold; config.labelTopK = labelTopK
        config.cropWindow = cropWindow; config.cropStep = cropStep; config.cropMinimumVotes = cropMinVotes
        config.labelSource = pseudoLabels; config.labelMinimumShare = labelMinShare
        config.head = head
        return adapting.applied(to: config)
    }

    /// Prepares the images and trains (from scratch or from `config.initialisation`), with
    /// progress lines on standard error and a clean stop on Ctrl-C; `reclip adapt` runs it too.
    /// With `terminalOnly`, progress is drawn only when standard error is a terminal (no lines
    /// in a log). Returns what the run did, or nil when it was interrupted (and said so); with
    /// `announce` false a finished run prints nothing (`runSeeds` says what it keeps).
    static func run(_ config: TrainingConfiguration, model: CLIPModel, hash: String, classes names: [String],
                    images files: [URL], output out: String, resume: Bool, terminalOnly: Bool = false,
                    announce: Bool = true) throws -> TrainingOutcome? {
        let drawsProgress = !terminalOnly || isatty(STDERR_FILENO) == 1
        let run = TrainingRun(model: model, classes: names, configuration: config, weightsHash: hash,
                              cacheFolder: ClassifierCache.defaultFolder, output: PathBytes.fileURL(out))
        let start = try run.initialRectifier()
        if config.adaptation == .shiftTest { _ = try TrainingRun.shiftTestable(start) }
        if let start {
            let method = config.adaptation == .shiftTest ? "the shift test (threshold \(config.shiftThreshold))"
                : "\(config.epochs) epoch(s), \(config.steps(images: files.count)) steps, lr \(config.optimiser.learningRate)"
            RectifierInputs.stderr("starting from \(start.source) (\(start.variant.rawValue)): \(files.count) images, \(method)\n")
        }
        let cache = ClassifierCache(weightsHash: hash)
        let classifier = try cache.load(classes: names) ?? {
            RectifierInputs.stderr("building the text classifier (85 templates x \(names.count) classes)...\n")
            return try cache.classifier(model: model, classes: names, templates: .reclip85, tokenizer: CLIPTokenizer.shared())
        }()
        let signals = SignalEvents([SIGINT])
        defer { signals.cancel() }
        var interrupted = false
        let preparing = drawsProgress ? ProgressLine() : nil
        let prepared = try run.prepare(images: files, load: { try RectifierInputs.pixels($0.path) }, classifier: classifier,
                                       progress: { p in
            preparing?.update("features and pseudo labels: \(p.done)/\(p.total) (\(p.cached) cached)", done: p.done, total: p.total)
        }, shouldStop: { signals.take(SIGINT) })
        preparing?.finish()
        guard let samples = prepared else {
            print("interrupted while preparing: features computed so far are cached; run again to continue")
            return nil
        }
        let training = drawsProgress ? ProgressLine() : nil
        let outcome = try run.train(samples: samples, classifier: classifier, resume: resume, progress: { p in
            training?.update(TrainingProgressBar(p).line, done: p.step, total: p.totalSteps)
        }, shouldStop: {
            if signals.take(SIGINT) { interrupted = true }
            return interrupted
        })
        training?.finish()
        if interrupted {
            if announce { print("interrupted: checkpoint at step \(outcome.steps) saved to \(terminalSafe(out)) (continue with --resume)") }
            return nil
        }
        if !announce { return outcome }
        if config.adaptation == .shiftTest {
            print("adapted by the shift test: \(terminalSafe(out))")
        } else {
            print("trained \(outcome.steps) steps: \(terminalSafe(out))")
        }
        return outcome
    }
}

/// `reclip eval`: evaluation, in one run or in shards. Its default subcommand evaluates
/// (`reclip eval --dataset D ...` is `reclip eval run --dataset D ...`); `reclip eval merge
/// part*.json` adds up the shards that `--shard I/N --out part.json` wrote.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "mIoU, per-class IoU and pixel accuracy on a VOC-layout dataset (mmsegmentation semantics), in one run or in shards.",
        subcommands: [EvalRunCommand.self, EvalMergeCommand.self],
        defaultSubcommand: EvalRunCommand.self)
}

/// `reclip eval [run]`: mIoU on a VOC-layout dataset, or one shard of it.
struct EvalRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Evaluate on a VOC-layout dataset (the default: `reclip eval --dataset D` runs this).")

    @OptionGroup var model: ModelOptions
    @Option(help: "Dataset root (JPEGImages/, SegmentationClass/, ImageSets/Segmentation/, optional classes.txt).") var dataset: String
    @Option(help: "Dataset format (voc).") var format: String = "voc"
    @Option(help: "Rectification strength: a number, auto (chosen per image without labels, AutomaticAlpha), or oracle (the per-image best against the ground truth: an upper bound, not a method).")
    var alpha: AlphaSetting = .fixed(1)
    @Option(help: "Split list name.") var split: String = "val"
    @Option(help: "Presence detection threshold (tools/test.py); off when absent.") var presence: Float?
    @Flag(help: "Print a JSON object (mIoU, per_class, pixel_accuracy) instead of a table.") var json = false
    @Option(help: "Compare dense heads, comma-separated (maskclip,sclip,clearclip,naclip): one table, each head raw and, with --rectifier, rectified, with seconds per image. Without it, maskclip's per-class table.")
    var heads: String?

    /// `--heads` parsed: each name a head, each once.
    func headList() throws -> HeadList? {
        guard let heads else { return nil }
        return try HeadList(parsing: heads)
    }
    @Option(help: "Prompt templates for every head: reclip85 or imagenet80 (default: each head's paper's).") var templates: PromptTemplateSet?
    @OptionGroup var inference: InferenceArguments
    @Option(help: ArgumentHelp("Evaluate only shard I of N of the split (the images at positions I, I+N, ...), 0 <= I < N; write it with --out and add the shards up with `reclip eval merge`.", valueName: "i/n"))
    var shard: String?
    @Option(name: [.customLong("out"), .customLong("save-shard")],
            help: ArgumentHelp("Write this run's confusion matrices, seconds and per-image scores as a shard file (JSON) for `reclip eval merge`, instead of printing the table (--save-shard is the older spelling).", valueName: "part.json"))
    var out: String?

    /// `--shard` parsed.
    func shardSelection() throws -> ShardSelection? {
        guard let shard else { return nil }
        guard let s = ShardSelection(argument: shard) else {
            throw ValidationError("--shard \(shard): write I/N with N >= 1 and 0 <= I < N, e.g. 0/4")
        }
        return s
    }

    func validate() throws {
        if let size = model.size, let problem = inference.windowProblem(size: size) { throw ValidationError(problem) }
        _ = try shardSelection()
        _ = try headList()
        try inference.check(rectifier: model.rectifier)
        if heads != nil {
            if case .fixed = alpha {} else {
                throw ValidationError("--alpha \(alpha): --heads compares at a fixed alpha (a number, 0...10)")
            }
        }
        if let presence { try OptionRange.check(presence, in: 0...1, "--presence") }
    }

    func run() throws {
        guard format == "voc" else { throw RectifierCommandError("--format \(format): only voc is supported") }
        let data = try VOCDataset(root: PathBytes.fileURL(dataset))
        let selection = try self.model.resolve(defaultSize: 336)
        let options = try inference.options(size: selection.size)
        let model = try RectifierInputs.model(selection.weights, precision: self.model.precision)
        let hash = try RectifierInputs.weightsHash(selection.weights)
        let r = try RectifierInputs.rectifier(selection.rectifier, classes: data.classes, weightsHash: hash, variant: nil)
        let classToken = selection.classTokenRectifier
        let rectifierName = r.map { "\($0.variant.rawValue) \(PathBytes.fileURL($0.source).lastPathComponent)" }
            ?? (classToken ? Rectification.classToken.rawValue : "none")
        let settings = ["weights": hash, "rectifier": rectifierName,
                        "size": "\(selection.size)", "precision": model.precision.rawValue, "inference": options.description, "alpha": "\(alpha)",
                        "presence": presence.map { "\($0)" } ?? "off", "templates": templates?.rawValue ?? "each head's",
                        "heads": try headList()?.description ?? "-", "cls_subtract": "\(inference.classTokenSubtraction)", "dataset": PathBytes.fileURL(dataset).standardizedFileURL.path]
        if let heads = try headList() {
            guard case .fixed(let a) = alpha else { throw RectifierCommandError("--heads needs a fixed --alpha") }
            return try compare(heads.heads, data: data, selection: selection, options: options, model: model,
                               hash: hash, rectifier: r, classTokenRectifier: classToken, alpha: a, settings: settings)
        }
        if r == nil && !classToken { RectifierInputs.stderr("no rectifier: evaluating raw MaskCLIP\n") }
        var segmenter = try Segmenter(model: model, classes: data.classes, rectifier: r,
                                      classifierCache: ClassifierCache(weightsHash: hash), templates: templates,
                                      classTokenRectifier: classToken)
        segmenter.classTokenSubtraction = inference.classTokenSubtraction
        let presenceRule = presence.map { (scale: r?.variant.presenceScale ?? 100, threshold: $0) }
        let evaluating = ProgressLine()
        var chosen: [Float] = []
        var seconds = 0.0
        let shardSelection = try self.shardSelection()
        let reports = try DatasetEvaluation.run(dataset: data, split: split, predictors: 1, shard: shardSelection,
                                                predictWithTruth: { image, truth in
            let pixels = image
            let automatic: Bool
            if case .automatic = alpha { automatic = true } else { automatic = false }
            let start = DispatchTime.now().uptimeNanoseconds
            defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            let maps = try segmenter.segment(pixels, size: selection.size, options: options, imageLogits: automatic)
            func labels(_ a: Float) -> [Int32] {
                maps.labels(alpha: a, width: image.width, height: image.height, presence: presenceRule,
                            background: inference.backgroundRule(head: .maskclip))
            }
            switch alpha {
            case .fixed(let a): return [labels(a)]
            case .automatic:
                let a = AutomaticAlpha.choose(maps) ?? 0
                chosen.append(a)
                return [labels(a)]
            case .oracle:
                var best: (alpha: Float, miou: Double, labels: [Int32])?
                for a in AutomaticAlpha.candidates {
                    var m = ConfusionMatrix(classCount: data.classes.count)
                    let l = labels(a)
                    m.add(prediction: l, groundTruth: truth, reduceZeroLabel: data.reduceZeroLabel)
                    if best == nil || m.meanIoU > best!.miou { best = (a, m.meanIoU, l) }
                }
                chosen.append(best?.alpha ?? 0)
                return [best?.labels ?? labels(0)]
            }
        }, progress: { done, total in evaluating.update("\(done)/\(total) images", done: done, total: total) })
        let report = reports[0]
        evaluating.finish()
        if !chosen.isEmpty {
            RectifierInputs.stderr(String(format: "alpha %@: mean %.2f, from %.1f to %.1f over %d images\n", "\(alpha)",
                                          chosen.reduce(0, +) / Float(chosen.count), chosen.min()!, chosen.max()!, chosen.count))
        }
        if try save(reports, predictors: [(nil, templates, segmenter.rectifies)], seconds: [seconds], data: data, settings: settings) { return }
        print(json ? report.json : report.table)
    }

    /// With `--out`, writes the shard file and says so (true); otherwise false.
    func save(_ reports: [EvaluationReport], predictors: [(head: DenseHead?, templates: PromptTemplateSet?, rectified: Bool)],
              seconds: [Double], data: VOCDataset, settings: [String: String]) throws -> Bool {
        guard let out else { return false }
        let selection = try shardSelection() ?? ShardSelection(index: 0, count: 1)!
        let shard = EvaluationShard(split: split, shard: selection, splitImages: try data.layout.imageIDs(split: split).count,
                                    settings: settings, reports: reports, predictors: predictors, seconds: seconds)
        try shard.write(to: PathBytes.fileURL(out))
        print("shard \(selection): \(shard.images) of \(shard.splitImages) images -> \(terminalSafe(out)) (add up with reclip eval merge)")
        return true
    }

    /// `--heads`: every head raw and (with a rectifier or cls-subtract) rectified, in one pass
    /// over the split; each image's heads share their forward where they can.
    func compare(_ heads: [DenseHead], data: VOCDataset, selection: ModelSelection, options: InferenceOptions,
                 model: CLIPModel, hash: String, rectifier r: Rectifier?, classTokenRectifier classToken: Bool,
                 alpha: Float, settings: [String: String]) throws {
        let rectifying = r != nil || classToken
        let cache = ClassifierCache(weightsHash: hash)
        var segmenters: [Segmenter] = []
        for head in heads {
            segmenters.append(try Segmenter(model: model, classes: data.classes, rectifier: nil, classifierCache: cache,
                                            head: head, templates: templates))
        }
        if rectifying {
            for head in heads {
                segmenters.append(try Segmenter(model: model, classes: data.classes, rectifier: r, classifierCache: cache,
                                                head: head, templates: templates, classTokenRectifier: classToken))
            }
        }
        for i in segmenters.indices { segmenters[i].classTokenSubtraction = inference.classTokenSubtraction }
        var seconds = [Double](repeating: 0, count: segmenters.count)
        let evaluating = ProgressLine()
        let reports = try DatasetEvaluation.run(dataset: data, split: split, predictors: segmenters.count,
                                                shard: try shardSelection(), predictWithTruth: { image, _ in
            let out = try Segmenter.segment(segmenters, image: image, size: selection.size, options: options)
            return out.enumerated().map { i, result in
                seconds[i] += result.seconds
                let s = segmenters[i]
                let rule = presence.map { (scale: s.rectifier?.variant.presenceScale ?? s.head.logitScale, threshold: $0) }
                return result.maps.labels(alpha: s.rectifies ? alpha : 0, width: image.width, height: image.height,
                                          presence: rule, background: inference.backgroundRule(head: s.head))
            }
        }, progress: { done, total in evaluating.update("\(done)/\(total) images", done: done, total: total) })
        evaluating.finish()
        if try save(reports, predictors: segmenters.map { ($0.head, $0.templates, $0.rectifies) }, seconds: seconds,
                    data: data, settings: settings) { return }
        let images = Double(reports[0].images)
        let n = heads.count
        let rows = heads.enumerated().map { i, head in
            HeadEvaluationTable.Row(head: head, templates: segmenters[i].templates, raw: reports[i], rawSeconds: seconds[i] / images,
                                    rectified: rectifying ? reports[n + i] : nil,
                                    rectifiedSeconds: rectifying ? seconds[n + i] / images : nil)
        }
        var notes = [String(format: "%@ split, %d images, short side %d px, %@%@%@", split, reports[0].images, selection.size,
                            options.description,
                            inference.classTokenSubtraction > 0 ? String(format: ", cls-subtract %g", inference.classTokenSubtraction) : "",
                            !rectifying ? "; no rectifier"
                                : String(format: classToken ? "; rectifier cls-subtract, alpha %g" : "; alpha %g", alpha))]
        if let r {
            let others = heads.filter { $0 != r.trainedHead }
            if !others.isEmpty {
                notes.append("rectified: the rectifier was trained on \(r.trainedHead.rawValue) logits; on "
                             + others.map(\.rawValue).joined(separator: ", ") + " it is applied as is")
            }
        }
        let table = HeadEvaluationTable(rows: rows, notes: notes)
        print(json ? table.json : table.table)
    }
}

/// `reclip bench alpha`: what a change of alpha costs once the networks have run.
struct BenchAlpha: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alpha",
        abstract: "Time a change of alpha: raw - alpha * bias, bilinear upsampling and the arg-max (28x28 grid to a 200x120 view).")

    @Option(help: "Number of classes.") var classes: Int = 21

    func validate() throws { try OptionRange.check(classes, in: 1...1000, "--classes") }

    func run() throws {
        let ms = RectifierBenchmark.alphaMilliseconds(classes: classes)
        print(String(format: "alpha change (%d classes, 28x28 grid -> 200x120 view): %.2f ms (median of 50)", classes, ms))
        for view in [ExplorerView.compare, .bias, .overlay] {
            print(String(format: "whole frame, %@ view (%d classes, 200x60 cells, 448x336 photo): %.2f ms (median of 30 alpha steps)",
                         "\(view)", classes, FrameBenchmark.milliseconds(classes: classes, view: view)))
        }
    }
}

/// `reclip bench train`: one unsupervised rectifier training step at ViT-B/16 sizes.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time one unsupervised rectifier training step with ViT-B/16 sizes (the text tower's forward and backward dominate).")

    @Option(help: "Number of classes.") var classes: Int = 20
    @Option(help: "Rectifier variant: reclip or reclip++.") var variant: RectifierVariant = .reclip
    @Option(help: "The text tower's arithmetic: fp32, bf16, or both (fp32 and bf16 steps interleaved, with the deviation of bf16's gradients from fp32's on the same first batch).")
    var precision: BenchPrecision = .fp32
    @Option(help: "Timed steps per precision (the median is reported).") var steps: Int = 3

    func validate() throws {
        try OptionRange.check(classes, in: 1...1000, "--classes")
        try OptionRange.check(steps, in: 1...100, "--steps")
    }

    func run() throws {
        let v = variant
        let asked: [Precision] = precision == .both ? [.fp32, .bf16] : [precision == .bf16 ? .bf16 : .fp32]
        for p in asked where p.available.notice != nil { print(p.available.notice!) }
        let runs = RectifierBenchmark.trainingSteps(variant: v, classes: classes, precisions: asked, steps: steps)
        for r in runs {
            print(String(format: "training step (%@, %d classes, ViT-B/16 sizes, 21x21 grid, batch 1, text tower %@): %.2f s wall, %.2f s CPU (median of %d)",
                         v.rawValue, classes, r.precision.rawValue, r.wall, r.cpu, steps))
        }
        if runs.count == 2 {
            print(String(format: "bf16 / fp32: %.2f of the wall time, %.2f of the CPU time; gradient of every parameter: relative deviation %.2e "
                         + "(|g16 - g32| / |g32|), cosine %.6f; loss %.6f against %.6f",
                         runs[1].wall / runs[0].wall, runs[1].cpu / runs[0].cpu, runs[1].gradientDeviation(from: runs[0]),
                         runs[1].gradientCosine(with: runs[0]), runs[1].loss, runs[0].loss))
        }
    }
}

/// `reclip bench train --precision`: one precision, or both interleaved.
enum BenchPrecision: String, ExpressibleByArgument, CaseIterable {
    case fp32, bf16, both
}

/// `--alpha`: a fixed strength, `auto` (chosen per image without labels) or `oracle` (the
/// per-image best against the ground truth, an upper bound for `reclip eval` only).
enum AlphaSetting: ExpressibleByArgument, CustomStringConvertible {
    case fixed(Float)
    case automatic
    case oracle

    init?(argument: String) {
        switch argument {
        case "auto": self = .automatic
        case "oracle": self = .oracle
        default:
            guard let a = Float(argument), a.isFinite, (0...10).contains(a) else { return nil }
            self = .fixed(a)
        }
    }

    var description: String {
        switch self {
        case .fixed(let a): return String(format: "%g", a)
        case .automatic: return "auto"
        case .oracle: return "oracle"
        }
    }
}

/// `--variant reclip|reclip++` parsed by the argument parser, which lists the values in errors.
extension RectifierVariant: ExpressibleByArgument {}

/// `reclip eval merge`: the table of an evaluation run in shards (`reclip eval --shard I/N --out F`).
struct EvalMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Add up evaluation shards (reclip eval --shard I/N --out F) and print the table one run would have printed.")

    @Argument(help: "Shard files written by `reclip eval --shard I/N --out F`.") var shards: [String]
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard files to merge") }
    }

    func run() throws {
        let parts = try shards.map { try EvaluationShard.read(from: PathBytes.fileURL($0)) }
        let merged = try EvaluationShard.merge(parts, names: shards)
        if !merged.isComplete {
            RectifierInputs.stderr("missing shard(s) \(merged.missingShards.joined(separator: ", ")): the figures cover "
                                   + "\(merged.images) of the split's \(merged.splitImages) images\n")
        }
        let s = merged.settings
        let notes = ["\(merged.split) split, \(merged.images) images (shards \(merged.shards.map(String.init).joined(separator: ",")) of \(merged.shardCount)), "
                     + "short side \(s["size"] ?? "?") px, \(s["inference"] ?? "?"); rectifier \(s["rectifier"] ?? "?"), alpha \(s["alpha"] ?? "?")"]
        if let table = merged.headTable(notes: notes) {
            print(json ? table.json : table.table)
        } else {
            let report = merged.reports[0]
            print(json ? report.json : report.table)
        }
    }
}
