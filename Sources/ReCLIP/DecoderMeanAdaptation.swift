import Foundation
import Math

/// ReCLIP++'s label-free adaptation of its decoder's BatchNorm to a site: the running mean the
/// decoder normalises by is moved towards the site's own mean, by a strength chosen without labels.
///
/// The decoder ends in BN(y)_k = s_k (y_k - mu_k) + beta_k, s_k = gamma_k / sqrt(var_k + eps),
/// y = conv5x5([f ; L_rect]) (METHOD section 4). On the site's images, at alpha 1, y has channel
/// means m_k (recovered from the outputs: y_k = (out_k - beta_k) / s_k + mu_k). With
///
///     mu_k(lambda) = mu_k + lambda (m_k - mu_k)
///
/// every output of class k moves by d_k lambda, d_k = -s_k (m_k - mu_k): lambda = 1 is full
/// re-estimation of the mean (AdaBN's), lambda = 0 keeps the rectifier's. Re-estimating is right
/// when the pixels moved (a camera shift: +6 points at dusk on validation) and wrong when the
/// scene mix moved, since then the means carry the site's class mix (-5 on the coast mix). The
/// label-free choice between them tried here: the strength in `strengths` whose outputs on the
/// site's images have the least mean pixel entropy H = -sum_k p_k log p_k, p = softmax(scale *
/// output), at the variant's presence scale (10); ties go to the smaller strength; the variance
/// is kept. On 20 validation site images it chose 1.25 at dusk and 0 under the other shifts, but
/// 0 at dusk from 5, 50 or 200 images (docs/adaptation.md, "Session 17"): an experiment, off
/// unless asked for (`AdaptationMethod.decoderMean`).
///
/// ```swift
/// let a = DecoderMeanAdaptation(rectifier: r, outputs: outputsAtAlphaOne)   // [[K * P]] per site image
/// let adapted = a.applied(to: r)          // the decoder's running mean moved by a.strength
/// ```
public struct DecoderMeanAdaptation: Sendable, Equatable {
    /// The strengths tried, in order.
    public static let strengths: [Float] = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]

    /// The site's mean m of the decoder's normalised input, per class channel.
    public let siteMean: [Float]
    /// The rectifier's running mean mu.
    public let startMean: [Float]
    /// Mean pixel entropy on the site's images at each of `strengths`.
    public let entropies: [Double]
    /// The strength chosen: the one of least entropy.
    public let strength: Float

    /// The site's decoder statistics from `outputs`, the decoder outputs [K * P] of the site's
    /// images at the rectification the site runs (alpha 1); nil for a rectifier without a decoder
    /// or without outputs. A channel whose BN scale is zero gives no evidence and keeps its mean.
    public init?(rectifier: Rectifier, outputs: [[Float]]) {
        guard let norm = rectifier.decoder?.norm, !outputs.isEmpty else { return nil }
        let K = norm.runningMean.count
        let scale = (0..<K).map { Double(norm.weight[$0]) / (Double(norm.runningVar[$0]) + Double(norm.eps)).squareRoot() }
        precondition(outputs.allSatisfy { !$0.isEmpty }, "decoder outputs of at least one pixel")
        let site = ChannelSums(outputs, channels: K).means
        let mu = norm.runningMean
        let m: [Float] = (0..<K).map { k in
            guard scale[k] != 0 else { return mu[k] }
            return Float((site[k] - Double(norm.bias[k])) / scale[k] + Double(mu[k]))
        }
        startMean = mu
        siteMean = m
        let d = (0..<K).map { -scale[$0] * (Double(m[$0]) - Double(mu[$0])) }
        let t = Double(rectifier.variant.presenceScale)
        let entropies = Self.strengths.map { lambda -> Double in
            var total = 0.0, n = 0
            var z = [Double](repeating: 0, count: K)
            for out in outputs {
                let P = out.count / K
                for p in 0..<P {
                    for k in 0..<K { z[k] = t * (Double(out[k * P + p]) + Double(lambda) * d[k]) }
                    let top = z.max()!
                    var sum = 0.0, weighted = 0.0
                    for k in 0..<K { let e = Foundation.exp(z[k] - top); sum += e; weighted += e * (z[k] - top) }
                    total += Foundation.log(sum) - weighted / sum   // -sum p log p with p = e / sum
                    n += 1
                }
            }
            return total / Double(n)
        }
        var best = 0
        for i in entropies.indices where entropies[i] < entropies[best] { best = i }
        self.entropies = entropies
        strength = Self.strengths[best]
    }

    /// The running mean at `strength`: mu + strength (m - mu).
    public var adaptedMean: [Float] { zip(startMean, siteMean).map { mu, m in mu + strength * (m - mu) } }

    /// The choice as a rectifier file records it: `decoder_mean_strength` and
    /// `decoder_mean_entropies` ("strength:entropy" pairs).
    public var record: [String: String] {
        ["decoder_mean_strength": "\(strength)",
         "decoder_mean_entropies": zip(Self.strengths, entropies).map { String(format: "%g:%.5f", Double($0), $1) }.joined(separator: " ")]
    }

    /// `rectifier` with its decoder's running mean set to `adaptedMean` and `record` in its metadata.
    public func applied(to rectifier: Rectifier) -> Rectifier {
        var r = rectifier
        r.decoder?.norm.runningMean = adaptedMean
        r.metadata.merge(record) { $1 }
        return r
    }
}
