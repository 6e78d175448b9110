import Pixels
import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Settings of a `reclip train` run.
public struct TrainingConfiguration: Sendable {
    public var variant: RectifierVariant = .reclip
    public var epochs: Int = 10
    public var batchSize: Int = 1
    /// Optimisation steps over `images` training images: `epochs` passes in batches of
    /// `batchSize` (an epoch's last batch may be smaller).
    public func steps(images: Int) -> Int { epochs * ((images + batchSize - 1) / batchSize) }
    /// Training images are resized (short side) and centre-cropped to `size` x `size`
    /// (the authors train on 336 x 336 crops: a 21 x 21 grid for ViT-B/16).
    public var size: Int = 336
    public var seed: UInt64 = 0
    /// Write a checkpoint every this many steps (0: only at the end and on interruption).
    public var checkpointEvery: Int = 50
    public var optimiser = TrainingSettings()
    /// ReCLIP pseudo labels: global logit threshold and the top-K fallback (VOC: 23, 2).
    public var labelThreshold: Float = 23
    public var labelTopK: Int = 2
    /// ReCLIP++ sliding-crop vote: window and step in pixels of the original image
    /// (the authors: crop size / 6 and half of that, 56 and 28 for 336).
    public var cropWindow: Int = 56
    public var cropStep: Int = 28
    /// ReCLIP++: votes a class needs to become a pseudo label (the authors: 1).
    public var cropMinimumVotes: Int = 1
    /// Where the pseudo labels come from; nil: the variant's own rule (the global logits for
    /// ReCLIP, the crop vote for ReCLIP++), as the authors do.
    public var labelSource: PseudoLabelSource?
    /// `PseudoLabelSource.denseShare`: the share of the training crop's patches a class needs.
    public var labelMinimumShare: Float = 0.15
    /// The rule that runs: `labelSource`, or the variant's own.
    public var effectiveLabelSource: PseudoLabelSource {
        labelSource ?? (variant == .reclip ? .global : .cropVote)
    }
    /// The dense head whose logits the rectifier learns the bias of (the authors: MaskCLIP).
    public var head: DenseHead = .maskclip
    /// Start from this rectifier instead of a seeded random one (`reclip train --init`); it
    /// must fit the run (`TrainingRun.initialRectifier(from:)` checks it) and the written file
    /// records it (`initialised_from`, `adapted_images`).
    public var initialisation: URL?
    /// Image-level labels given instead of pseudo labels (`reclip train --image-labels`): image
    /// file name -> class indices. A diagnostic of what the pseudo labels cost: with it the run
    /// is supervised at image level, so no bundled rectifier is trained this way.
    public var givenLabels: GivenImageLabels?
    /// The text tower's arithmetic while the rectifier trains through it (`TextTransformer`):
    /// fp32, or bf16 linear layers with float32 accumulation where the CPU has AVX512_BF16.
    /// Recorded in the file (`precision`, the one that ran).
    public var precision: Precision = .fp32
    /// With an initialisation: how the start is adapted to the images (the steps unless told).
    public var adaptation: AdaptationMethod = .steps
    /// `AdaptationMethod.shiftTest`: the `SiteShift` residual over which the images are taken
    /// to be a camera shift.
    public var shiftThreshold: Float = SiteShift.defaultThreshold
    /// Whether the run reads pseudo labels: all but the shift test's, which takes no step.
    public var needsPseudoLabels: Bool { !(adaptation == .shiftTest && initialisation != nil) }
    public init() {}
}

extension TrainingConfiguration {
    /// The pseudo-label rule as the written file records it (`pseudo_labels`), which
    /// `TrainingConfiguration.adapting` reads back: "threshold 23.0, top 5", "crop vote, window
    /// 56, step 28, at least 1 vote(s)" or "dense share, at least 0.15".
    public var labelRuleDescription: String {
        switch effectiveLabelSource {
        case .global: return "threshold \(labelThreshold), top \(labelTopK)"
        case .cropVote: return "crop vote, window \(cropWindow), step \(cropStep), at least \(cropMinimumVotes) vote(s)"
        case .denseShare: return "dense share, at least \(labelMinimumShare)"
        }
    }
}

/// What a training run reports after each step.
public struct TrainingProgress: Sendable {
    public let epoch: Int, epochs: Int
    public let step: Int, totalSteps: Int
    public let loss: Float
    public let secondsPerStep: Double
    public var etaSeconds: Double { Double(totalSteps - step) * secondsPerStep }
}

/// Where preparation stands (features and pseudo labels, once per image).
public struct PreparationProgress: Sendable {
    public let done: Int, total: Int, cached: Int
}

/// A problem that stops training, phrased for the person at the keyboard.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A complete unsupervised training run: frozen CLIP features and pseudo labels computed once
/// per image (and cached on disk), then epochs of `RectifierTrainer` steps over seeded shuffles
/// with seeded Gumbel noise, poly learning-rate decay per epoch, atomic checkpoints (the
/// rectifier plus momentum buffers and the step count), resumption, and a clean stop on request.
public struct TrainingRun {
    public let model: CLIPModel
    public let classes: [String]
    public let configuration: TrainingConfiguration
    public let weightsHash: String
    public let cacheFolder: URL?
    public let output: URL

    public init(model: CLIPModel, classes: [String], configuration: TrainingConfiguration, weightsHash: String,
                cacheFolder: URL?, output: URL) {
        self.model = model; self.classes = classes; self.configuration = configuration
        self.weightsHash = weightsHash; self.cacheFolder = cacheFolder; self.output = output
    }

    /// The training crop's patch grid side: padded up for MaskCLIP, whole patches for the others.
    var gridSide: Int {
        let p = model.architecture.patchSize, s = configuration.size
        return configuration.head.padsToPatchMultiple ? (s + p - 1) / p : s / p
    }

    /// Each class name's tokens after the Reference prompt (`referenceNameTokens`).
    func nameTokens() throws -> [[Int]] {
        let tokenizer = try CLIPTokenizer.shared()
        return classes.map { referenceNameTokens(bpe: tokenizer.encode($0).map(Int.init)) }
    }

    /// The positional embeddings `[Cv, P]` the space bias reads on the training crop's grid
    /// (`patchPositionalEmbedding` for MaskCLIP, `headPositionalEmbedding` for the other heads).
    var positional: [Float] {
        let g = gridSide
        return (configuration.head == .maskclip ? model.patchPositionalEmbedding(gridHeight: g, gridWidth: g)
                                                : model.headPositionalEmbedding(gridHeight: g, gridWidth: g)).data
    }

    /// The rectifier a run starts from (`configuration.initialisation`), checked against the
    /// run: the file exists and loads, records this run's classes (when it records any) and
    /// CLIP weights, is of the run's variant, was trained on the run's head, and its tensors fit
    /// the CLIP (`checkCompatible(with:)`). Every problem is one `RectifierFileError` naming
    /// the file.
    ///
    /// ```swift
    /// var c = TrainingConfiguration(); c.initialisation = URL(fileURLWithPath: "models/world/rectifier-reclip.safetensors")
    /// let start = try TrainingRun(model: m, classes: k, configuration: c, ...).initialRectifier()
    /// ```
    public func initialRectifier() throws -> Rectifier? {
        guard let url = configuration.initialisation else { return nil }
        let c = configuration
        guard PathKind.of(url.path) != nil else {
            throw RectifierFileError(file: url.path, problem: "no such rectifier file to start from (--init)")
        }
        let r = try Rectifier.load(from: url, classes: classes, weightsHash: weightsHash)
        guard r.variant == c.variant else {
            throw RectifierFileError(file: url.path, problem: "holds a \(r.variant.rawValue) rectifier, the run trains \(c.variant.rawValue): "
                                     + "pass --variant \(r.variant.rawValue)")
        }
        guard r.trainedHead == c.head else {
            throw RectifierFileError(file: url.path, problem: "was trained on \(r.trainedHead.rawValue) logits, the run trains on "
                                     + "\(c.head.rawValue): pass --head \(r.trainedHead.rawValue)")
        }
        try r.checkCompatible(with: model)
        return r
    }

    /// Features `[D, P]` and pseudo labels for every image (from the cache when present).
    /// Returns nil when `shouldStop` asks to stop (what was computed so far stays cached).
    public func prepare(images: [URL], load: (URL) throws -> RGBImage, classifier: TextClassifier,
                        progress: (PreparationProgress) -> Void,
                        shouldStop: () -> Bool = { false }) throws -> [TrainingImage]? {
        var out: [TrainingImage] = []
        var cached = 0
        for (i, url) in images.enumerated() {
            if shouldStop() { return nil }
            let key = cacheKey(url)
            if let key, let hit = loadCached(key) {
                out.append(hit); cached += 1
            } else {
                let pixels = try load(url)
                guard pixels.width >= 1, pixels.height >= 1 else { throw TrainingError("\(url.path): empty image") }
                let sample = features(pixels, classifier: classifier)
                if let key { try? store(sample, key: key) }
                out.append(sample)
            }
            if let given = configuration.givenLabels {
                out[out.count - 1] = TrainingImage(features: out[out.count - 1].features, pseudoLabels: try given.labels(for: url))
            }
            progress(PreparationProgress(done: i + 1, total: images.count, cached: cached))
        }
        return out
    }

    /// Dense features of the training crop and the image's pseudo labels.
    public func features(_ pixels: RGBImage, classifier: TextClassifier) -> TrainingImage {
        let s = configuration.size
        let crop = ImagePreprocessing.centerCropped(ImagePreprocessing.resizedShortSide(pixels, to: s), size: s)
        let dense = model.denseFeatures(ImagePreprocessing.normalized(crop), head: configuration.head)
        let f = Segmenter.normalizedChannelMajor(dense.features)
        guard configuration.needsPseudoLabels else { return TrainingImage(features: f, pseudoLabels: []) }
        guard configuration.effectiveLabelSource == .denseShare else {
            return TrainingImage(features: f, pseudoLabels: pseudoLabels(pixels, classifier: classifier))
        }
        // Raw dense logits <f_p, t_k> of the training crop, K x P.
        let K = classifier.classCount, P = f.count / classifier.embedDim
        let logits = matrixProduct(classifier.weights, f, M: K, K: classifier.embedDim, N: P)
        return TrainingImage(features: f, pseudoLabels: PseudoLabels.denseShare(logits, classes: K, minimumShare: configuration.labelMinimumShare))
    }

    /// logit_scale.exp() * cos(global image embedding, t_k) for one image.
    func globalLogits(_ pixels: RGBImage, classifier: TextClassifier) -> [Float] {
        model.zeroShotLogits(pixels, classifier: classifier)
    }

    /// The global rules: threshold / top-K on the global logits (ReCLIP's), or the sliding-crop
    /// vote (ReCLIP++'s, falling back to top-K when the image is smaller than one window). The
    /// dense share is computed with the features (`features(_:classifier:)`).
    public func pseudoLabels(_ pixels: RGBImage, classifier: TextClassifier) -> [Int] {
        let c = configuration
        if c.effectiveLabelSource == .cropVote {
            let origins = PseudoLabels.cropOrigins(width: pixels.width, height: pixels.height, window: c.cropWindow, step: c.cropStep)
            if !origins.isEmpty {
                return PseudoLabels.slidingCropVote(origins.map { o in
                    globalLogits(Self.crop(pixels, x: o.x, y: o.y, size: c.cropWindow), classifier: classifier)
                }, minimumVotes: c.cropMinimumVotes)
            }
        }
        return PseudoLabels.thresholdOrTopK(globalLogits(pixels, classifier: classifier), threshold: c.labelThreshold, topK: c.labelTopK)
    }

    static func crop(_ p: RGBImage, x: Int, y: Int, size: Int) -> RGBImage {
        var data = [UInt8](); data.reserveCapacity(size * size * 3)
        for row in y..<(y + size) { data += p.pixels[((row * p.width + x) * 3)..<((row * p.width + x + size) * 3)] }
        return RGBImage(width: size, height: size, pixels: data)
    }

    func cacheKey(_ url: URL) -> URL? {
        guard let cacheFolder,
              let (size, mtime) = FileStamp.attributes(url.path) else { return nil }
        let c = configuration
        var h = SHA256()
        let votes = c.cropMinimumVotes == 1 ? "" : "v\(c.cropMinimumVotes)"
        var labelRule: String
        switch c.effectiveLabelSource {
        case .global: labelRule = "t\(c.labelThreshold)k\(c.labelTopK)"
        case .cropVote: labelRule = "crops\(c.cropWindow)/\(c.cropStep)" + votes
        case .denseShare: labelRule = "share\(c.labelMinimumShare)"
        }
        if !c.needsPseudoLabels { labelRule = "no labels" }
        // The head and the image tower's precision join the key only when they are not MaskCLIP
        // and fp32, so existing caches stay valid; bf16 features are not fp32's.
        let head = c.head == .maskclip ? [] : ["head=" + c.head.rawValue]
        let precision = model.precision == .fp32 ? [] : ["precision=" + model.precision.rawValue]
        let parts: [String] = [weightsHash, url.standardizedFileURL.path, "\(size)", "\(mtime)", "\(c.size)", labelRule] + head + precision
        h.update(Data((parts + classes).joined(separator: "\n").utf8))
        return cacheFolder.appendingPathComponent("features/\(h.finalize().hex.prefix(32)).safetensors")
    }

    func loadCached(_ key: URL) -> TrainingImage? {
        guard let file = try? SafeTensorsFile(path: key.path), let f = try? file.tensor("features"),
              let text = file.metadata["pseudo_labels"],
              let labels = MetadataJSON.value([Int].self, from: text),
              // A cached sample of another shape or with labels outside the class list is recomputed.
              f.count == model.architecture.embedDim * gridSide * gridSide,
              labels.allSatisfy({ classes.indices.contains($0) }) else { return nil }
        return TrainingImage(features: f.data, pseudoLabels: labels)
    }

    func store(_ sample: TrainingImage, key: URL) throws {
        try FolderCreation.make(key.deletingLastPathComponent().path)
        let labels = try MetadataJSON.text(sample.pseudoLabels)
        try SafeTensorsWriter.write([("features", Tensor(shape: [sample.features.count], data: sample.features))],
                                    metadata: ["pseudo_labels": labels], to: key.path)
    }

    /// Trains on prepared samples. Resumes from `output` when `resume` is set and it holds a
    /// checkpoint of this run's settings. Calls `progress` after each step; when `shouldStop`
    /// returns true the run saves a checkpoint and returns early. Returns the steps done in total
    /// and, when the shift test adapted the start, its one-line verdict.
    @discardableResult
    public func train(samples: [TrainingImage], classifier: TextClassifier, resume: Bool,
                      progress: (TrainingProgress) -> Void, shouldStop: () -> Bool) throws -> TrainingOutcome {
        let c = configuration
        guard !samples.isEmpty else { throw TrainingError("no training images") }
        guard c.epochs > 0, c.batchSize > 0 else { throw TrainingError("epochs and batch size must be positive") }
        guard model.architecture.contextLength > 4 else {
            throw TrainingError("the CLIP's context of \(model.architecture.contextLength) tokens leaves no room for a Reference prompt "
                                + "(start-of-text and three name tokens take 4)")
        }
        let tower = TextTransformer(model: model, precision: c.precision)
        let tokens = try nameTokens()
        let g = gridSide, pos = positional
        var rng = SplitMix64(seed: c.seed)
        let start = try initialRectifier()
        var rectifier = start ?? Rectifier(untrained: c.variant, classNames: classes, tower: tower,
                                           visualWidth: model.architecture.visionWidth, using: &rng)
        var velocity: [String: [Float]] = [:]
        var startStep = 0
        if resume, PathKind.of(output.path) != nil {
            let file = try SafeTensorsFile(path: output.path)
            rectifier = try Rectifier.load(from: output, classes: classes, weightsHash: weightsHash)
            guard rectifier.variant == c.variant else {
                throw TrainingError("\(output.path): holds a \(rectifier.variant.rawValue) rectifier, not \(c.variant.rawValue)")
            }
            try rectifier.checkCompatible(with: model)
            let stepText = file.metadata["step"] ?? "0"
            guard let stored = Int(stepText), stored >= 0 else {
                throw RectifierFileError(file: output.path, problem: "metadata step = '\(stepText)' is not a non-negative integer")
            }
            startStep = stored
            for name in rectifier.parameterNames where file.entries["momentum.\(name)"] != nil {
                let v = try file.tensor("momentum.\(name)").data
                guard v.count == rectifier.parameter(name).count else {
                    throw RectifierFileError(file: output.path, tensor: "momentum.\(name)",
                                             problem: "\(v.count) values, the parameter \(name) has \(rectifier.parameter(name).count)")
                }
                velocity[name] = v
            }
        }
        var adaptation = adaptationRecord(images: samples.count)
        if c.adaptation == .shiftTest {
            let (adapted, record, shift) = try shiftTested(start, samples: samples, classifier: classifier, nameTokens: tokens, positional: pos)
            // The weights are the start's, trained as its file says: its record stays, with the test's.
            var r = adapted
            r.metadata = r.metadata.merging(adaptation.merging(record) { $1 }) { $1 }
            try r.save(to: output)
            return TrainingOutcome(steps: 0, shiftTest: shift.summary)
        }
        rectifier.metadata = metadata(step: startStep, adaptation: adaptation)
        var trainer = RectifierTrainer(rectifier: rectifier, tower: tower, classifier: classifier.weights, nameTokens: tokens,
                                       positional: pos, gridHeight: g, gridWidth: g, logitScale: expf(model.logitScale),
                                       settings: c.optimiser)
        trainer.velocity = velocity
        let stepsPerEpoch = (samples.count + c.batchSize - 1) / c.batchSize
        let total = c.steps(images: samples.count)
        var step = startStep
        let started = DispatchTime.now().uptimeNanoseconds
        // The last epoch's mean loss, a label-free score to compare runs of one recipe by; kept
        // only when this process ran that whole epoch (a run resumed inside it has no record).
        var lastEpoch = LastEpochLoss(steps: (total - stepsPerEpoch)..<total, startStep: startStep)
        func save() throws {
            var r = trainer.rectifier
            r.metadata = metadata(step: step, adaptation: adaptation)
            if step == total, let mean = lastEpoch.mean { r.metadata["last_epoch_loss"] = "\(mean)" }
            var extra: [String: Tensor] = [:]
            for (name, v) in trainer.velocity { extra["momentum.\(name)"] = Tensor(shape: [v.count], data: v) }
            try r.save(to: output, extra: extra)
        }
        while step < total {
            let epoch = step / stepsPerEpoch
            // The order of an epoch depends only on (seed, epoch): resuming mid-epoch continues it.
            var order = Array(samples.indices)
            var shuffler = SplitMix64(seed: c.seed &+ 0x5EED &* UInt64(epoch + 1))
            order.shuffle(using: &shuffler)
            let b = step % stepsPerEpoch
            let batch = order[(b * c.batchSize)..<min((b + 1) * c.batchSize, order.count)].map { samples[$0] }
            var noiseRNG = SplitMix64(seed: c.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
            let noise = batch.map { _ in gumbelNoise(count: trainer.noiseCount(), using: &noiseRNG) }
            let loss = trainer.step(batch: batch, noise: noise, learningRate: c.optimiser.learningRate(epoch: epoch, of: c.epochs))
            lastEpoch.add(loss, step: step)
            step += 1
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            progress(TrainingProgress(epoch: epoch, epochs: c.epochs, step: step, totalSteps: total, loss: loss,
                                      secondsPerStep: elapsed / Double(step - startStep)))
            if shouldStop() { try save(); return TrainingOutcome(steps: step) }
            if c.checkpointEvery > 0 && step % c.checkpointEvery == 0 { try save() }
        }
        if c.adaptation == .decoderMean, let start, step == total,
           let adapted = decoderMeanAdapted(trainer.rectifier, start: start, samples: samples, classifier: classifier,
                                            nameTokens: tokens, positional: pos) {
            trainer.rectifier = adapted.rectifier
            adaptation.merge(adapted.record) { $1 }
        }
        if start == nil, step == total {
            // A run from scratch records its images in the feature space, for later shift tests.
            trainer.rectifier.featureReference = try featureReference(of: trainer.rectifier, samples: samples, classifier: classifier)
        }
        try save()
        return TrainingOutcome(steps: step, lastEpochLoss: lastEpoch.mean)
    }

    /// What the shift test needs of its start: a ReCLIP++ decoder and a feature reference with
    /// at least one class seen often enough; a one-line error naming the file otherwise.
    /// `reclip train` asks before it starts, so a wrong start fails before any work.
    public static func shiftTestable(_ start: Rectifier?) throws -> (start: Rectifier, decoder: ConvNormLayer, reference: FeatureReference) {
        guard let start else { throw TrainingError("the shift test adapts a rectifier: give the one to start from (--init)") }
        guard let decoder = start.decoder, let reference = start.featureReference, !reference.hullVertices.isEmpty else {
            throw TrainingError(terminalSafe(start.source) + ": the shift test needs a ReCLIP++ rectifier whose file records its "
                                + "feature reference (reclip train writes one; reclip reference adds one to an existing file)")
        }
        return (start, decoder, reference)
    }

    /// The shift test's adaptation of `start` to `samples` (`AdaptationMethod.shiftTest`): under
    /// a camera shift the start with its decoder statistics re-estimated on the samples, else the
    /// start as it is; with what the file records of the test.
    func shiftTested(_ start: Rectifier?, samples: [TrainingImage], classifier: TextClassifier, nameTokens: [[Int]],
                     positional: [Float]) throws -> (rectifier: Rectifier, record: [String: String], shift: SiteShift) {
        let (start, decoder, reference) = try Self.shiftTestable(start)
        let shift = SiteShift(reference: reference, features: samples.map(\.features), threshold: configuration.shiftThreshold)
        var record = shift.record
        record["adaptation"] = AdaptationMethod.shiftTest.rawValue
        guard shift.isCameraShift else { return (start, record, shift) }
        let inputs = evidence(of: start, samples: samples, classifier: classifier, nameTokens: nameTokens,
                              positional: positional).decoderInputs
        let statistics = DecoderStatistics(preActivations: inputs, channels: decoder.outChannels)
        return (statistics.applied(to: start), record, shift)
    }

    /// `samples` in the feature space as `r` sees them (`FeatureReference`): each patch's
    /// feature under the class of `r`'s arg-max at alpha 1. `reclip train` records it at the end
    /// of a run from scratch, `reclip reference` in an existing file.
    public func featureReference(of r: Rectifier, samples: [TrainingImage], classifier: TextClassifier) throws -> FeatureReference {
        let assigned = evidence(of: r, samples: samples, classifier: classifier, nameTokens: try nameTokens(), positional: positional)
            .outputs.map { Self.argMax($0, classes: classes.count) }
        return FeatureReference(classCount: classes.count, dimension: model.architecture.embedDim,
                                features: samples.map(\.features), classes: assigned)
    }

    /// At `r`'s inference on each sample: the output at alpha 1 `[K, P]` and, for ReCLIP++, the
    /// decoder's input to its BatchNorm, conv([f ; raw - bias]) `[K, P]` (empty for ReCLIP).
    func evidence(of r: Rectifier, samples: [TrainingImage], classifier: TextClassifier, nameTokens: [[Int]],
                  positional: [Float]) -> (outputs: [[Float]], decoderInputs: [[Float]]) {
        let reference = r.referenceEmbeddings(nameTokens: nameTokens, model: model)
        let g = gridSide
        var outputs: [[Float]] = [], inputs: [[Float]] = []
        for sample in samples {
            let maps = BiasMaps(features: sample.features, classifier: classifier.weights, reference: reference,
                                positional: positional, rectifier: r, h: g, w: g)
            outputs.append(SegmentationMaps(maps, classNames: r.classNames, gridWidth: g, gridHeight: g).output(alpha: 1))
            if let decoder = r.decoder {
                let rectified = zip(maps.raw, maps.bias).map { $0 - $1 }
                inputs.append(decoder.convolved(sample.features + rectified, h: g, w: g))
            }
        }
        return (outputs, inputs)
    }

    /// The class of largest value at each pixel of a class-major `[K, P]` map (the first on ties).
    static func argMax(_ map: [Float], classes K: Int) -> [Int] {
        let P = map.count / K
        return (0..<P).map { p in
            var best = 0
            for k in 1..<K where map[k * P + p] > map[best * P + p] { best = k }
            return best
        }
    }

    /// `trained` with the decoder statistics of `start`, the mean then moved by
    /// `DecoderMeanAdaptation` on the training images' decoder outputs at alpha 1 (the trained
    /// weights, the start's statistics); nil without a decoder.
    func decoderMeanAdapted(_ trained: Rectifier, start: Rectifier, samples: [TrainingImage], classifier: TextClassifier,
                            nameTokens: [[Int]], positional: [Float]) -> (rectifier: Rectifier, record: [String: String])? {
        var r = trained
        guard let startNorm = start.decoder?.norm, r.decoder != nil else { return nil }
        r.decoder!.norm.runningMean = startNorm.runningMean
        r.decoder!.norm.runningVar = startNorm.runningVar
        let outputs = evidence(of: r, samples: samples, classifier: classifier, nameTokens: nameTokens, positional: positional).outputs
        guard let a = DecoderMeanAdaptation(rectifier: r, outputs: outputs) else { return nil }
        return (a.applied(to: r), a.record)
    }

    /// With an initialisation: the file it came from (name and SHA-256) and the number of
    /// images it was adapted on; empty for a run from scratch.
    func adaptationRecord(images: Int) -> [String: String] {
        guard let start = configuration.initialisation else { return [:] }
        return ["initialised_from": start.lastPathComponent,
                "initialised_from_sha256": (try? SHA256.hex(ofFileAt: start)) ?? "unreadable",
                "adapted_images": "\(images)"]
    }

    /// What the written file records about the run, with `adaptationRecord`'s fields.
    func metadata(step: Int, adaptation: [String: String]) -> [String: String] {
        let c = configuration
        return adaptation.merging(["weights_hash": weightsHash, "head": c.head.rawValue, "step": "\(step)", "epochs": "\(c.epochs)", "batch": "\(c.batchSize)",
                "size": "\(c.size)", "seed": "\(c.seed)", "lr": "\(c.optimiser.learningRate)", "precision": c.precision.available.precision.rawValue,
                "momentum": "\(c.optimiser.momentum)", "weight_decay": "\(c.optimiser.weightDecay)",
                "poly_power": "\(c.optimiser.polyPower)",
                "pseudo_labels": c.givenLabels.map { "given: \($0.source)" } ?? c.labelRuleDescription]) { $1 }
    }
}
