import Pixels
import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// One image in, every map the explorer and the commands need out: raw logits of a dense head
/// (MaskCLIP unless told, `DenseHead`) and, with a trained rectifier, the class- and
/// space-preference biases (and the ReCLIP++ decoder), or with `classTokenRectifier` SegEarth-OV's
/// training-free class bias (`ClassTokenBias`) as the bias alpha subtracts.
/// Everything image-independent (text classifier, Reference-prompt embeddings) is computed once
/// in `init`; `segment` runs the image tower and cheap per-image maths. A value type, `Sendable`:
/// build it once per (weights, classes, rectifier, head) and call it from a background task.
///
/// ```swift
/// let model = try CLIPModel(contentsOf: "ViT-B-16.safetensors")
/// let cache = try ClassifierCache(weightsFile: URL(fileURLWithPath: "ViT-B-16.safetensors"))
/// let segmenter = try Segmenter(model: model, classes: ["cat", "dog"], rectifier: nil, classifierCache: cache)
/// let maps = try segmenter.segment(pixels, size: 448)      // maps.bias == nil: raw MaskCLIP
/// ```
public struct Segmenter: Sendable {
    public let model: CLIPModel
    public let classes: [String]
    /// The trained rectifier, or nil for raw MaskCLIP.
    public let rectifier: Rectifier?
    /// Whether SegEarth-OV's training-free class bias is the rectification (`--rectifier
    /// cls-subtract`): bias = `ClassTokenBias.segEarthLambda` x the global logits at every
    /// patch, no space bias. Never together with a trained `rectifier`.
    public let classTokenRectifier: Bool
    /// The dense head whose logits are computed (and rectified).
    public let head: DenseHead
    /// The templates the classifier averages (the head's paper's unless told).
    public let templates: PromptTemplateSet
    /// The text classifier T `[K, D]`.
    public let classifier: TextClassifier
    /// Frobenius-normalised reference embeddings R `[K, D]` (nil without a rectifier).
    public let reference: [Float]?
    /// Where text classifiers are cached (nil: not cached).
    public let classifierCache: ClassifierCache?
    /// λ of the global-logit shift (`--cls-subtract`; 0: off; SegEarth-OV uses 0.3): the head's
    /// class-token logits times λ are subtracted from every pixel's raw logits before any
    /// rectification (`ClassTokenBias`, `maps(...classToken:)`).
    public var classTokenSubtraction: Float = 0

    /// Builds the classifier (from `classifierCache` when it holds one, storing it otherwise)
    /// and the reference embeddings. A rectifier trained for other classes, whose tensors do
    /// not fit the model (`Rectifier.checkCompatible(with:)`), or trained on another head than
    /// MaskCLIP and `head` (`Rectifier.checkHead(_:)`), is an error. `templates` defaults to
    /// the head's paper's (`DenseHead.defaultTemplates`). `classTokenRectifier` with a trained
    /// rectifier is an error: a segmenter has one rectification.
    public init(model: CLIPModel, classes: [String], rectifier: Rectifier?, classifierCache: ClassifierCache?,
                head: DenseHead = .maskclip, templates: PromptTemplateSet? = nil, classTokenRectifier: Bool = false) throws {
        if classTokenRectifier, let rectifier {
            throw RectifierFileError(file: rectifier.source, problem:
                "a trained rectifier and \(Rectification.classToken.rawValue) are two rectifications: use one")
        }
        if let rectifier, rectifier.classNames != classes {
            throw RectifierFileError(file: rectifier.source, problem:
                "trained for classes \(rectifier.classNames.joined(separator: ",")), not \(classes.joined(separator: ","))")
        }
        try rectifier?.checkCompatible(with: model)
        try rectifier?.checkHead(head)
        let tokenizer = try CLIPTokenizer.shared()
        let templates = templates ?? head.defaultTemplates
        // The cache runs only the classes it has never seen through the text tower.
        classifier = try classifierCache?.classifier(model: model, classes: classes, templates: templates, tokenizer: tokenizer)
            ?? TextClassifier(model: model, classes: classes, tokenizer: tokenizer, templates: templates)
        self.head = head
        self.templates = templates
        self.model = model
        self.classes = classes
        self.rectifier = rectifier
        self.classTokenRectifier = classTokenRectifier
        self.classifierCache = classifierCache
        if let rectifier {
            let tokens = classes.map { referenceNameTokens(bpe: tokenizer.encode($0).map(Int.init)) }
            reference = rectifier.referenceEmbeddings(nameTokens: tokens, model: model)
        } else {
            reference = nil
        }
    }

    /// The same model and cache for another class list. The rectifier goes as far as the method
    /// allows (`Rectifier.transferred(to:)`): ReCLIP keeps its class bias for every class and
    /// its space bias for the classes it was trained on; ReCLIP++ only serves its own classes,
    /// so for another list the result is raw (no bias).
    public func with(classes newClasses: [String]) throws -> Segmenter {
        if newClasses == classes { return self }
        let r = rectifier.flatMap { $0.transferred(to: newClasses) }
        var s = try Segmenter(model: model, classes: newClasses, rectifier: r, classifierCache: classifierCache,
                              head: head, templates: templates, classTokenRectifier: classTokenRectifier)
        s.classTokenSubtraction = classTokenSubtraction
        return s
    }

    /// The rectification the maps get: the trained rectifier's, cls-subtract, or none.
    public var rectification: Rectification {
        if let rectifier { return Rectification(rectifier.variant) }
        return classTokenRectifier ? .classToken : .none
    }

    /// Whether alpha has a bias to subtract (a trained rectifier or cls-subtract).
    public var rectifies: Bool { rectification != .none }

    /// A line for the person at the keyboard when the rectifier was trained on another head's
    /// logits than the ones it rectifies (a MaskCLIP rectifier on SCLIP, say); nil otherwise.
    public var rectifierNote: String? {
        guard let rectifier, rectifier.trainedHead != head else { return nil }
        return "the rectifier was trained on \(rectifier.trainedHead.rawValue) logits; applied to \(head.rawValue) as is"
    }

    /// Segments an image resized so its short side is `size` pixels (then padded to, or for the
    /// repositories' heads cut to, the patch size): the maps on the head's patch grid.
    /// With `imageLogits` and a rectifier, the image-level logits are computed too (one more
    /// forward: the global embedding of the centre crop, as CLIP classifies), for `AutomaticAlpha`.
    /// Images whose patch grid would exceed `TokenBudget.maxPatches` are refused before any work.
    public func segment(_ image: RGBImage, size: Int, imageLogits: Bool = false, name: String = "image") throws -> SegmentationMaps {
        try TokenBudget.check(width: image.width, height: image.height, shortSide: size,
                              patch: model.architecture.patchSize, name: name)
        let input = ImagePreprocessing.denseInput(image, shortSide: size)
        try Self.checkHoldsAPatch(input, head: head, model: model)
        let dense = model.denseFeatures(input, head: head, includePositionalEmbedding: rectifier != nil)
        let f = Self.normalizedChannelMajor(dense.features)
        var out = maps(features: f, positional: dense.positionalEmbedding?.data, gridHeight: dense.gridHeight,
                       gridWidth: dense.gridWidth, classToken: dense.classToken?.data)
        if imageLogits && rectifies { out.imageLogits = model.zeroShotLogits(image, classifier: classifier) }
        return out
    }

    /// The maps from normalised features `[D, P]` and (with a rectifier) positional embeddings
    /// `[Cv, P]`. With `classTokenSubtraction` λ > 0 and the head's class-token feature
    /// `classToken` [D], λ·<c/|c|, t_k> is subtracted from class k's raw logit at every pixel
    /// (SegEarth-OV's `cls_token_lambda` = -λ) before any rectification. With
    /// `classTokenRectifier`, the class bias is 0.3 x those logits at every pixel and the space
    /// bias zero (`ClassTokenBias`).
    public func maps(features f: [Float], positional: [Float]?, gridHeight h: Int, gridWidth w: Int,
                     classToken: [Float]? = nil) -> SegmentationMaps {
        let K = classes.count, P = h * w, D = f.count / P
        let shift = classToken.flatMap { globalBias($0, lambda: classTokenSubtraction) }
        guard let rectifier, let reference, let positional else {
            let raw = BiasMaps.shifted(BiasMaps.rawLogits(features: f, classifier: classifier.weights, K: K, D: D, P: P),
                                       by: shift, P: P)
            guard classTokenRectifier, let classToken,
                  let g = globalBias(classToken, lambda: ClassTokenBias.segEarthLambda) else {
                return SegmentationMaps(classNames: classes, gridWidth: w, gridHeight: h, raw: raw)
            }
            let bias = ClassTokenBias.broadcast(g, pixels: P)
            var maps = SegmentationMaps(classNames: classes, gridWidth: w, gridHeight: h, raw: raw, classBias: bias,
                                        spaceBias: [Float](repeating: 0, count: K * P), bias: bias)
            maps.rectification = .classToken
            return maps
        }
        let b = BiasMaps(features: f, classifier: classifier.weights, reference: reference, positional: positional,
                         rectifier: rectifier, h: h, w: w, rawShift: shift)
        var maps = SegmentationMaps(b, classNames: classes, gridWidth: w, gridHeight: h)
        maps.classesWithoutSpaceBias = rectifier.classesWithoutSpaceBias
        return maps
    }

    /// λ·<c/|c|, t_k> for every class k (`ClassTokenBias`), or nil when λ is 0.
    func globalBias(_ classToken: [Float], lambda: Float) -> [Float]? {
        guard lambda != 0 else { return nil }
        return ClassTokenBias.perClass(classToken: classToken, classifier: classifier.weights, classes: classes.count,
                                       lambda: lambda)
    }

    /// `[h, w, D]` features to unit-length channel-major `[D, h*w]`.
    public static func normalizedChannelMajor(_ features: Tensor) -> [Float] {
        let h = features.shape[0], w = features.shape[1], D = features.shape[2], P = h * w
        let n = l2NormalizeForward(features.data, N: P, C: D).y
        var out = [Float](repeating: 0, count: D * P)
        for p in 0..<P { for d in 0..<D { out[d * P + p] = n[p * D + d] } }
        return out
    }
}
