import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Raw MaskCLIP logits and the rectifier's biases for one image, class-major `[K, h*w]`.
///
/// ReCLIP:   raw = T f,  B_cls = R f,  B_spc = projNet(pos),  bias = B_cls + B_spc,
///           output(alpha) = raw - alpha * bias.
/// ReCLIP++: e = pe_proj(pos) [D, P],  bias[k, p] = <e_p, r_k>  (the "multiplicative fusion":
///           class embedding times projected position, one dot product), split for display into
///           B_cls[k] = mean_p bias[k, p] and B_spc = bias - B_cls;
///           output(alpha) = BN(conv5x5([f ; raw - alpha * bias])).
///           The decoder is affine in its input and BN is per-channel affine in inference, so
///           output(alpha) = base - alpha * slope with base = BN(conv([f ; raw])) and
///           slope = s * conv_K(bias) (s = BN scale, conv_K = the decoder's logit channels, no
///           conv bias): changing alpha never reruns the decoder.
/// Here f is the L2-normalised dense feature `[D, P]`, T the text classifier `[K, D]`, R the
/// Frobenius-normalised reference embeddings `[K, D]`, pos the resized positional embeddings `[Cv, P]`.
public struct BiasMaps: Sendable {
    public let raw: [Float]
    public let classBias: [Float]
    public let spaceBias: [Float]
    public let bias: [Float]
    /// ReCLIP++ decoder output at alpha = 0 and its slope in alpha; nil for ReCLIP.
    public let decoderBase: [Float]?
    public let decoderSlope: [Float]?

    /// `logits` [K, P] minus `shift[k]` at every pixel (unchanged when `shift` is nil).
    public static func shifted(_ logits: [Float], by shift: [Float]?, P: Int) -> [Float] {
        guard let shift else { return logits }
        var out = logits
        for k in shift.indices { for p in 0..<P { out[k * P + p] -= shift[k] } }
        return out
    }

    /// Raw logits L[k, p] = <f_p, t_k> for normalised features `[D, P]` and a classifier `[K, D]`.
    public static func rawLogits(features f: [Float], classifier t: [Float], K: Int, D: Int, P: Int) -> [Float] {
        // [K, D] @ [D, P]: a 1x1 convolution with K output channels.
        conv2dForward(f, weight: t, bias: nil, C: D, H: 1, W: P, OC: K, kernel: 1, padding: 0)
    }

    /// Computes every map for one image on an `h` x `w` grid. `rawShift` [K], when given, is
    /// subtracted from every pixel's raw logits first (SegEarth-OV's global-logit subtraction),
    /// so the rectification and ReCLIP++'s decoder see the shifted logits.
    public init(features f: [Float], classifier t: [Float], reference r: [Float], positional pos: [Float],
                rectifier: Rectifier, h: Int, w: Int, rawShift: [Float]? = nil) {
        let K = rectifier.classCount, P = h * w, D = f.count / P, Cv = pos.count / P
        raw = Self.shifted(Self.rawLogits(features: f, classifier: t, K: K, D: D, P: P), by: rawShift, P: P)
        switch rectifier.variant {
        case .reclip:
            let cls = Self.rawLogits(features: f, classifier: r, K: K, D: D, P: P)
            var x = pos
            for layer in rectifier.spaceLayers { x = reluForward(layer.inference(x, h: h, w: w)) }
            classBias = cls
            spaceBias = x
            var b = cls
            for i in 0..<b.count { b[i] += x[i] }
            bias = b
            decoderBase = nil; decoderSlope = nil
        case .reclipPlusPlus:
            let e = conv2dForward(pos, weight: rectifier.peProjWeight, bias: rectifier.peProjBias, C: Cv, H: h, W: w,
                                  OC: D, kernel: 1, padding: 0)
            let b = Self.rawLogits(features: e, classifier: r, K: K, D: D, P: P)
            var cls = [Float](repeating: 0, count: K * P), spc = b
            for k in 0..<K {
                var m: Float = 0
                for p in 0..<P { m += b[k * P + p] }
                m /= Float(P)
                for p in 0..<P { cls[k * P + p] = m; spc[k * P + p] -= m }
            }
            classBias = cls; spaceBias = spc; bias = b
            let dec = rectifier.decoder!
            decoderBase = dec.inference(f + raw, h: h, w: w)
            // Slope: conv over [0 ; bias] without the conv bias, times the BN scale.
            let pre = conv2dForward([Float](repeating: 0, count: D * P) + b, weight: dec.weight, bias: nil,
                                    C: D + K, H: h, W: w, OC: K, kernel: dec.kernel, padding: dec.padding)
            var slope = pre
            for k in 0..<K {
                let s = dec.norm.weight[k] / (dec.norm.runningVar[k] + dec.norm.eps).squareRoot()
                for p in 0..<P { slope[k * P + p] *= s }
            }
            decoderSlope = slope
        }
    }
}
