import Pixels
import Foundation
import Datasets
import Render
import TUI
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

/// Where the explorer's class list comes from: `--classes`, `--classes-file`, the rectifier's
/// own classes, the dataset's `classes.txt`, or the PASCAL VOC classes.
enum ExplorerClasses {
    /// The 21 PASCAL VOC classes, the benchmark ReCLIP reports on (`VOCClasses`).
    static var voc: [String] { VOCClasses.withBackground }

    static func resolve(option: String?, file: String?, rectifier: [String]?, dataset: [String]?) throws -> [String] {
        if let option {
            let names = option.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw ExplorerCommandError("--classes: no class names in \"\(option)\"") }
            return names
        }
        if let file {
            guard let names = ImageCollection.readClasses(PathBytes.fileURL(file)) else {
                throw ExplorerCommandError("\(file): cannot read class names (one per line expected)")
            }
            return names
        }
        return rectifier ?? dataset ?? voc
    }
}

/// A problem with the explorer's command line, phrased for the person at the keyboard.
struct ExplorerCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The real engine behind the explorer: CLIP weights and, optionally, a trained rectifier or
/// SegEarth-OV's training-free class bias (`classTokenRectifier`, `--rectifier cls-subtract`).
///
/// Loading the weights, hashing them for the classifier cache and building the text classifier
/// take seconds, so nothing is loaded when the explorer starts: the first `segment` call builds
/// the `Segmenter` (in the background task that asked), later calls reuse it.
struct SegmenterEngine: SegmentationEngine {
    let info: ModelInfo
    let builder: SegmenterBuilder
    /// Short side of the image fed to the ViT.
    let size: Int
    /// The weights file, as the shared loaded CLIP holds it.
    var weights: URL { builder.clip.weights }
    let rectifier: URL?
    /// Whether the rectification is SegEarth-OV's class bias (no rectifier file).
    let classTokenRectifier: Bool
    let classifierFolder: URL
    /// The image tower's precision asked for, as the shared loaded CLIP holds it.
    var precision: Precision { builder.clip.precision }

    /// `precision` is the one asked for (`--precision`); the status line names the one that runs
    /// when it is not the default fp32.
    /// `bundledRectifier`: the rectifier is the bundled model's (captions call it "bundled").
    init(weights: URL, rectifier: URL?, rectifierVariant: String?, size: Int, precision: Precision = .fp32,
         classTokenRectifier: Bool = false, bundled: Bool = false, bundledRectifier: Bool = false, figures: String? = nil,
         refinedFigures: String? = nil, protocolRows: [(String, String)] = [], classifierFolder: URL = ClassifierCache.defaultFolder) {
        var variant = classTokenRectifier ? Rectification.classToken.displayName
            : rectifier == nil ? Rectification.none.displayName : (rectifierVariant ?? "rectified")
        if precision != .fp32 { variant += ", " + ExplorerEngine.precisionDescription(precision) }
        info = ModelInfo(name: bundled ? BundledModel.displayName : weights.deletingPathExtension().lastPathComponent,
                         variant: variant, hasRectifier: rectifier != nil || classTokenRectifier,
                         trainingFree: classTokenRectifier, knowsOnlyTheWorld: bundled, figures: figures,
                         refinedFigures: refinedFigures, protocolRows: protocolRows, rectifierName: bundledRectifier ? "bundled" : rectifier?.lastPathComponent)
        builder = SegmenterBuilder(clip: LoadedCLIP(weights: weights, precision: precision, hashMemo: classifierFolder),
                                   rectifier: rectifier, classTokenRectifier: classTokenRectifier, classifierFolder: classifierFolder)
        self.size = size
        self.rectifier = rectifier
        self.classTokenRectifier = classTokenRectifier
        self.classifierFolder = classifierFolder
    }

    /// An engine for another rectifier on the same loaded CLIP (`clip`, shared, not reloaded).
    private init(info: ModelInfo, clip: LoadedCLIP, rectifier: URL, size: Int, classifierFolder: URL) {
        self.info = info
        self.builder = SegmenterBuilder(clip: clip, rectifier: rectifier, classifierFolder: classifierFolder)
        self.size = size
        self.rectifier = rectifier
        self.classTokenRectifier = false
        self.classifierFolder = classifierFolder
    }

    /// The weights and rectifier files (path, size, modification time; cls-subtract by name)
    /// and the input size.
    var cacheIdentity: String? {
        func stamp(_ url: URL?) -> String {
            guard let url else { return classTokenRectifier ? Rectification.classToken.rawValue : "none" }
            return url.standardizedFileURL.path + ":" + (FileStamp.of(url) ?? "-1:0")
        }
        return [stamp(weights), stamp(rectifier), "size \(size)", precision.rawValue].joined(separator: "|")
    }

    func replacingRectifier(with file: URL, variant: String) -> any SegmentationEngine {
        var rows = info.protocolRows.filter { $0.0 != "rectifier" && $0.0 != "trained on" }
        let meta = (try? Rectifier.load(from: file))?.metadata ?? [:]
        rows.append(("rectifier", "\(file.path) (\(variant))"))
        rows.append(("trained on", ["initialised_from", "adapted_images", "epochs", "lr", "size"]
            .compactMap { k in meta[k].map { "\(k) \(PathBytes.fileURL($0).lastPathComponent)" } }.joined(separator: ", ")))
        let renamed = ModelInfo(name: info.name, variant: variant, hasRectifier: true, knowsOnlyTheWorld: info.knowsOnlyTheWorld,
                                figures: info.figures, refinedFigures: info.refinedFigures, protocolRows: rows,
                                rectifierName: file.lastPathComponent)
        return SegmenterEngine(info: renamed, clip: builder.clip, rectifier: file, size: size, classifierFolder: classifierFolder)
    }

    /// `reclip adapt` without its held-out comparison: the rectifier's own classes, the
    /// few-image schedule it records (`TrainingConfiguration.adapting`), the explorer's input size.
    func adapt(images: [URL], output: URL, progress: @escaping @Sendable (String, Double) -> Void) async throws -> String {
        guard let rectifier else {
            throw ExplorerCommandError(classTokenRectifier ? "cls-subtract is training-free: nothing to adapt" : "no rectifier to adapt: raw MaskCLIP only")
        }
        progress("loading", 0)
        let (model, hash) = try await builder.clip.modelAndHash()
        let start = try Rectifier.load(from: rectifier, weightsHash: hash)
        var config = TrainingConfiguration.adapting(start, from: rectifier, images: images.count)
        config.size = size
        config.precision = precision
        let run = TrainingRun(model: model, classes: start.classNames, configuration: config, weightsHash: hash,
                              cacheFolder: classifierFolder, output: output)
        let classifier = try ClassifierCache(folder: classifierFolder, weightsHash: hash)
            .classifier(model: model, classes: start.classNames, templates: .reclip85, tokenizer: CLIPTokenizer.shared())
        guard let samples = try run.prepare(images: images, load: { try ImageFile.read(path: $0.path) }, classifier: classifier,
                                            progress: { p in progress("features \(p.done)/\(p.total)", 0.5 * Double(p.done) / Double(max(1, p.total))) },
                                            shouldStop: { Task.isCancelled }) else { throw CancellationError() }
        var cancelled = false
        let outcome = try run.train(samples: samples, classifier: classifier, resume: false, progress: { p in
            progress("step \(p.step)/\(p.totalSteps)", 0.5 + 0.5 * Double(p.step) / Double(max(1, p.totalSteps)))
        }, shouldStop: {
            if Task.isCancelled { cancelled = true }
            return cancelled
        })
        if cancelled { throw CancellationError() }
        if let verdict = outcome.shiftTest { return verdict }
        return "adapted \(rectifier.lastPathComponent) to \(images.count) images in \(outcome.steps) steps (\(config.epochs) epochs, lr \(config.optimiser.learningRate))"
    }

    func segment(_ picture: RGBImage, classes: [String], readout: Readout,
                 progress: @escaping @Sendable (Double) -> Void) async throws -> SegmentationMaps {
        progress(0.05)
        let segmenter = try await builder.segmenter(classes: classes, head: readout.head, progress: progress)
        try Task.checkCancellation()
        progress(0.6)
        // The explorer can switch to automatic alpha at any time, so it always wants the image logits.
        let maps = try segmenter.segment(picture, size: size, options: readout.inferenceOptions, imageLogits: true)
        progress(1)
        return maps
    }
}

/// Builds the `Segmenter` once per class list and head, on a CLIP that may be shared with
/// another builder (`LoadedCLIP`: the rectifier comparison's second engine).
actor SegmenterBuilder {
    /// The weights, loaded once for every builder that holds them.
    nonisolated let clip: LoadedCLIP
    let rectifierFile: URL?
    /// Whether SegEarth-OV's class bias is the rectification (`Segmenter.classTokenRectifier`).
    let classTokenRectifier: Bool
    /// Where text classifiers are cached (the RECLIP_HOME cache; a benchmark gives an empty one).
    let classifierFolder: URL
    private var built: [[String]: Segmenter] = [:]   // keyed by [head] + classes

    init(clip: LoadedCLIP, rectifier: URL?, classTokenRectifier: Bool = false,
         classifierFolder: URL = ClassifierCache.defaultFolder) {
        self.clip = clip
        self.rectifierFile = rectifier
        self.classTokenRectifier = classTokenRectifier
        self.classifierFolder = classifierFolder
    }

    func segmenter(classes: [String], head: DenseHead, progress: @Sendable (Double) -> Void) async throws -> Segmenter {
        let key = [head.rawValue] + classes
        if let s = built[key] { return s }
        let (model, hash) = try await clip.modelAndHash()
        // Nothing below suspends, so a second call that waited for the same load finds this one's.
        if let s = built[key] { return s }
        progress(0.3)
        // A rectifier knows the classes it was trained for. For another list it goes as far as
        // the method allows (`Rectifier.transferred(to:)`): ReCLIP keeps its class bias for every
        // class and its space bias for the trained ones; ReCLIP++ has no meaning for another list,
        // so the ReCLIP file beside it in the bundled layout (`rectifier-reclip.safetensors` next
        // to `rectifier-reclip++.safetensors`) rectifies it when there is one, else raw MaskCLIP.
        let trained = try rectifierFile.map { try Rectifier.load(from: $0, weightsHash: hash) }
        var rectifier = trained?.transferred(to: classes)
            ?? (trained?.classNames == classes ? trained : nil)
        if rectifier == nil, trained?.variant == .reclipPlusPlus, let file = rectifierFile {
            let layout = BundledModel(folder: file.deletingLastPathComponent())
            let companion = layout.rectifier(.reclip)
            if file.lastPathComponent == layout.rectifier(.reclipPlusPlus).lastPathComponent, PathKind.of(companion.path) != nil {
                rectifier = try Rectifier.load(from: companion, weightsHash: hash).transferred(to: classes)
            }
        }
        // Each head with its paper's templates (`DenseHead.defaultTemplates`).
        let s = try Segmenter(model: model, classes: classes, rectifier: rectifier,
                              classifierCache: ClassifierCache(folder: classifierFolder, weightsHash: hash), head: head,
                              classTokenRectifier: classTokenRectifier)
        built[key] = s
        return s
    }
}

/// Finds the engine the explorer runs, or says why there is none.
enum ExplorerEngine {
    /// The precision that runs when `requested` is asked for, as the status line and the protocol
    /// panel say it: "fp32", "bf16", or "fp32 (no AVX512_BF16)".
    static func precisionDescription(_ requested: Precision) -> String {
        let (precision, notice) = requested.available
        return notice == nil ? precision.rawValue : "\(precision.rawValue) (no AVX512_BF16)"
    }

    /// The protocol panel's rows: what a reproduction needs to know about the numbers shown.
    static func protocolRows(weights: URL, rectifier: String?, trained: Rectifier?, size: Int,
                             precision: Precision = .fp32, classTokenRectifier: Bool = false) -> [(String, String)] {
        let hash = (try? WeightsIdentity.contentHash(of: weights, memo: ClassifierCache.defaultFolder)) ?? "unreadable"
        var rows: [(String, String)] = [
            ("weights", weights.path), ("sha-256", hash), ("input", "short side \(size) px, whole image (no sliding window)"),
            ("precision", precisionDescription(precision) + (precision.available.precision == .bf16
                ? ": image tower weights and inputs in bfloat16, float32 accumulation" : "")),
        ]
        if classTokenRectifier {
            rows.append(("rectifier", "\(Rectification.classToken.displayName): training-free class bias, alpha x "
                         + String(format: "%g", ClassTokenBias.segEarthLambda) + " x the global (class-token) logits at every patch, no space bias"))
        } else if let rectifier, let trained {
            rows.append(("rectifier", "\(rectifier) (\(Rectification(trained.variant).displayName))"))
            let keys = ["pseudo_labels", "epochs", "step", "batch", "size", "seed", "lr"]
            let meta = keys.compactMap { k in trained.metadata[k].map { (key: k, value: $0) } }
            rows.append(("trained on", meta.isEmpty ? "no training metadata (an authors' checkpoint?)"
                                                    : meta.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        } else {
            rows.append(("rectifier", "none: raw MaskCLIP"))
        }
        return rows
    }

    /// The engine for `weights` (a file or an installed model name) and an optional rectifier
    /// file, or the reason there is none. The rectifier file is read here only for its variant
    /// and classes; the weights are loaded later, in the background.
    static func load(weights: String?, rectifier: String?, size: Int?, precision: Precision = .fp32,
                     bundledVariant: RectifierVariant?) -> (engine: (any SegmentationEngine)?, problem: String?, classes: [String]?) {
        let selection: ModelSelection
        do {
            let fallback = weights == nil ? (try? BundledModel.locate(executable: BundledFolder.currentExecutable))?.defaultVariant : nil
            selection = try ModelSelection.resolve(weights: weights, rectifier: rectifier, size: size, defaultSize: 448,
                                                   bundledRectifier: bundledVariant ?? fallback ?? .reclipPlusPlus)
        } catch {
            // Kept short: the status line has room for one clause.
            return (nil, weights == nil ? "bundled model missing (models/world) - images only; use --weights W" : "\(error) - images only", nil)
        }
        // The bundled model's own rectifier: named by a bundled name, or the bundled model's default.
        let bundledRectifier = rectifier.map { ModelSelection.bundledRectifierNames[$0] != nil } ?? (selection.bundled != nil)
        let rectifier = selection.rectifier
        let file: URL
        do {
            file = try WeightsRegistry().resolve(selection.weights)
        } catch {
            return (nil, "\(error) - images only", nil)
        }
        var trained: Rectifier?
        if let rectifier {
            do {
                trained = try Rectifier.load(from: PathBytes.fileURL(rectifier))
            } catch {
                return (nil, "\(error) - images only", nil)
            }
        }
        let engine = SegmenterEngine(weights: file, rectifier: rectifier.map { PathBytes.fileURL($0) },
                                     rectifierVariant: trained.map { Rectification($0.variant).displayName },
                                     size: selection.size, precision: precision, classTokenRectifier: selection.classTokenRectifier,
                                     bundled: selection.bundled != nil,
                                     bundledRectifier: bundledRectifier,
                                     figures: selection.bundled?.figures?.summary,
                                     refinedFigures: selection.bundled?.figures?.refinedSummary,
                                     protocolRows: protocolRows(weights: file, rectifier: rectifier, trained: trained, size: selection.size,
                                                                precision: precision, classTokenRectifier: selection.classTokenRectifier))
        // The bundled model's classes when no rectifier file names them (cls-subtract).
        return (engine, nil, trained?.classNames ?? selection.bundled.map { _ in BundledModel.classes })
    }
}
