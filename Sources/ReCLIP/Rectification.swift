import Foundation
import Math
import CLIP

/// Which method made a segmentation's bias, the one `alpha` subtracts: none (raw logits), a
/// trained ReCLIP or ReCLIP++ rectifier, or SegEarth-OV's training-free class bias
/// (`ClassTokenBias`). The raw value is what `--rectifier` and the dump's metadata say.
///
/// ```swift
/// maps.rectification == .classToken      // --rectifier cls-subtract
/// maps.rectification.displayName         // "cls-subtract (SegEarth-OV)"
/// ```
public enum Rectification: String, Sendable, CaseIterable {
    case none
    case reclip
    case reclipPlusPlus = "reclip++"
    case classToken = "cls-subtract"

    /// The rectification a trained rectifier of `variant` applies.
    public init(_ variant: RectifierVariant) {
        self = variant == .reclip ? .reclip : .reclipPlusPlus
    }

    /// As the status line and the protocol panel name it.
    public var displayName: String {
        switch self {
        case .none: return "MaskCLIP only"
        case .reclip: return "ReCLIP"
        case .reclipPlusPlus: return "ReCLIP++"
        case .classToken: return "cls-subtract (SegEarth-OV)"
        }
    }

    /// Whether it needs no training (nothing to adapt; it fits any head and class list as is).
    public var isTrainingFree: Bool { self == .classToken }
}

/// SegEarth-OV's training-free class bias: the image's global logits, the head's class-token
/// feature c against the text classifier T, `g[k] = <c/|c|, t_k>`, scaled by λ and subtracted
/// from every patch's logits (SegEarth-OV's `logits += cls_token_lambda * global`, with
/// `cls_token_lambda = -0.3`). It is a class-preference bias alone: one value per class,
/// the same at every patch, no space part.
///
/// Two spellings use it. `--rectifier cls-subtract` makes it the rectification: the class bias
/// is `segEarthLambda * g` broadcast over the patches, the space bias zero, and alpha scales it
/// as it scales ReCLIP's bias, so alpha 1 is SegEarth-OV's 0.3. `--cls-subtract λ` shifts the
/// raw logits by `λ * g` before any rectification (so a trained rectifier sees the shifted
/// logits); without a trained rectifier it gives the labels of `--rectifier cls-subtract
/// --alpha λ/0.3`.
///
/// ```swift
/// let g = ClassTokenBias.perClass(classToken: c, classifier: t.weights, classes: K, lambda: 0.3)
/// ```
public enum ClassTokenBias {
    /// SegEarth-OV's λ: the bias `--rectifier cls-subtract` subtracts at alpha 1.
    public static let segEarthLambda: Float = 0.3

    /// `lambda * <c/|c|, t_k>` for every class k of the classifier `t` `[K, D]`.
    public static func perClass(classToken c: [Float], classifier t: [Float], classes K: Int, lambda: Float) -> [Float] {
        let unit = l2NormalizeForward(c, N: 1, C: c.count).y
        return matrixProduct(t, unit, M: K, K: c.count, N: 1).map { $0 * lambda }
    }

    /// A per-class value at every one of `P` pixels: class-major `[K, P]`.
    public static func broadcast(_ perClass: [Float], pixels P: Int) -> [Float] {
        perClass.flatMap { [Float](repeating: $0, count: P) }
    }
}
