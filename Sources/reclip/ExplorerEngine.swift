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
            guard let names = ImageCollection.readClasses(URL(fileURLWithPath: file)) else {
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

/// The real engine behind the explorer: CLIP weights and, optionally, a trained rectifier.
///
/// Loading the weights, hashing them for the classifier cache and building the text classifier
/// take seconds, so nothing is loaded when the explorer starts: the first `segment` call builds
/// the `Segmenter` (in the background task that asked), later calls reuse it.
struct SegmenterEngine: SegmentationEngine {
    let info: ModelInfo
    let builder: SegmenterBuilder
    /// Short side of the image fed to the ViT.
    let size: Int

    /// `precision` is the one asked for (`--precision`); the status line names the one that runs
    /// when it is not the default fp32.
    init(weights: URL, rectifier: URL?, rectifierVariant: String?, size: Int, precision: Precision = .fp32,
         bundled: Bool = false, figures: String? = nil, protocolRows: [(String, String)] = []) {
        var variant = rectifier == nil ? "MaskCLIP only" : (rectifierVariant ?? "rectified")
        if precision != .fp32 { variant += ", " + ExplorerEngine.precisionDescription(precision) }
        info = ModelInfo(name: bundled ? BundledModel.displayName : weights.deletingPathExtension().lastPathComponent,
                         variant: variant, hasRectifier: rectifier != nil, knowsOnlyTheWorld: bundled, figures: figures,
                         protocolRows: protocolRows)
        builder = SegmenterBuilder(weights: weights, rectifier: rectifier, precision: precision)
        self.size = size
    }

    func segment(_ picture: RGBImage, classes: [String],
                 progress: @escaping @Sendable (Double) -> Void) async throws -> SegmentationMaps {
        progress(0.05)
        let segmenter = try await builder.segmenter(classes: classes, progress: progress)
        try Task.checkCancellation()
        progress(0.6)
        // The explorer can switch to automatic alpha at any time, so it always wants the image logits.
        let maps = try segmenter.segment(picture, size: size, imageLogits: true)
        progress(1)
        return maps
    }
}

/// Builds the `Segmenter` once per class list; owns the loaded model.
actor SegmenterBuilder {
    let weights: URL
    let rectifierFile: URL?
    /// The image tower's precision asked for (bf16 falls back to fp32 without AVX512_BF16).
    let precision: Precision
    private var model: CLIPModel?
    private var hash: String?
    private var built: [[String]: Segmenter] = [:]

    init(weights: URL, rectifier: URL?, precision: Precision) {
        self.weights = weights
        self.rectifierFile = rectifier
        self.precision = precision
    }

    func segmenter(classes: [String], progress: @Sendable (Double) -> Void) throws -> Segmenter {
        if let s = built[classes] { return s }
        let model = try self.model ?? CLIPModel(contentsOf: weights.path).converted(to: precision).model
        self.model = model
        progress(0.2)
        let hash = try self.hash ?? WeightsIdentity.contentHash(of: weights, memo: ClassifierCache.defaultFolder)
        self.hash = hash
        progress(0.3)
        // A rectifier knows the classes it was trained for. For another list it goes as far as
        // the method allows (`Rectifier.transferred(to:)`): ReCLIP keeps its class bias for every
        // class and its space bias for the trained ones; ReCLIP++ runs raw MaskCLIP.
        let trained = try rectifierFile.map { try Rectifier.load(from: $0, weightsHash: hash) }
        let rectifier = trained?.transferred(to: classes)
            ?? (trained?.classNames == classes ? trained : nil)
        let s = try Segmenter(model: model, classes: classes, rectifier: rectifier,
                              classifierCache: ClassifierCache(weightsHash: hash))
        built[classes] = s
        return s
    }
}

/// Finds the engine the explorer runs, or says why there is none.
enum ExplorerEngine {
    /// The protocol panel's rows: what a reproduction needs to know about the numbers shown.
    /// The precision that runs when `requested` is asked for, as the status line and the protocol
    /// panel say it: "fp32", "bf16", or "fp32 (no AVX512_BF16)".
    static func precisionDescription(_ requested: Precision) -> String {
        let (precision, notice) = requested.available
        return notice == nil ? precision.rawValue : "\(precision.rawValue) (no AVX512_BF16)"
    }

    static func protocolRows(weights: URL, rectifier: String?, trained: Rectifier?, size: Int,
                             precision: Precision = .fp32) -> [(String, String)] {
        let hash = (try? WeightsIdentity.contentHash(of: weights, memo: ClassifierCache.defaultFolder)) ?? "unreadable"
        var rows: [(String, String)] = [
            ("weights", weights.path), ("sha-256", hash), ("input", "short side \(size) px, whole image (no sliding window)"),
            ("head", "MaskCLIP (value path of the last block)"),
            ("precision", precisionDescription(precision) + (precision.available.precision == .bf16
                ? ": image tower weights and inputs in bfloat16, float32 accumulation" : "")),
            ("templates", "ReCLIP's 85 (each normalised, averaged, normalised)"),
        ]
        if let rectifier, let trained {
            rows.append(("rectifier", "\(rectifier) (\(trained.variant == .reclip ? "ReCLIP" : "ReCLIP++"))"))
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
                trained = try Rectifier.load(from: URL(fileURLWithPath: rectifier))
            } catch {
                return (nil, "\(error) - images only", nil)
            }
        }
        let engine = SegmenterEngine(weights: file, rectifier: rectifier.map { URL(fileURLWithPath: $0) },
                                     rectifierVariant: trained.map { $0.variant == .reclip ? "ReCLIP" : "ReCLIP++" },
                                     size: selection.size, precision: precision, bundled: selection.bundled != nil,
                                     figures: selection.bundled?.figures?.summary,
                                     protocolRows: protocolRows(weights: file, rectifier: rectifier, trained: trained, size: selection.size,
                                                                precision: precision))
        return (engine, nil, trained?.classNames)
    }
}
