import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Which of the two published rectifiers a file holds.
public enum RectifierVariant: String, Sendable, CaseIterable {
    /// ReCLIP (CVPR 2024): B = B_cls + B_spc, the space part from a 3-layer conv net.
    case reclip = "reclip"
    /// ReCLIP++: B[k, p] = <e_p, r_k> with e = 1x1 conv of the positional embeddings,
    /// followed by a 5x5 conv + BN decoder over [features ; rectified logits].
    case reclipPlusPlus = "reclip++"

    /// Factor on the rectified logits before the training Gumbel-softmax (authors' model.py).
    public var gumbelScale: Float { self == .reclip ? 1000 : 100 }
    /// Softmax scale of presence detection (authors' tools/test.py).
    public var presenceScale: Float { self == .reclip ? 100 : 10 }
}

/// A stride-1 convolution followed by BatchNorm: one layer of a rectifier's networks.
public struct ConvNormLayer: Sendable {
    /// `[out, in, k, k]` (PyTorch layout).
    public var weight: [Float]
    /// `[out]`.
    public var bias: [Float]
    public let inChannels: Int, outChannels: Int, kernel: Int
    /// The BatchNorm after the convolution.
    public var norm: BatchNormParameters

    /// Zero padding that keeps the grid size.
    public var padding: Int { kernel / 2 }

    public init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, norm: BatchNormParameters) {
        precondition(weight.count == outChannels * inChannels * kernel * kernel && bias.count == outChannels)
        self.weight = weight; self.bias = bias; self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.norm = norm
    }

    /// The authors' init: Kaiming-normal weights (fan_out, ReLU gain); the bias keeps PyTorch's
    /// default U(-1/sqrt(fan_in), 1/sqrt(fan_in)); fresh BatchNorm (gamma 1, beta 0).
    public init<G: RandomNumberGenerator>(inChannels: Int, outChannels: Int, kernel: Int, using rng: inout G) {
        let std = (2 / Float(outChannels * kernel * kernel)).squareRoot()
        let w = (0..<(outChannels * inChannels * kernel * kernel)).map { _ in normalSample(&rng) * std }
        let bound = 1 / Float(inChannels * kernel * kernel).squareRoot()
        let b = (0..<outChannels).map { _ in Float.random(in: -bound...bound, using: &rng) }
        self.init(weight: w, bias: b, inChannels: inChannels,
                  outChannels: outChannels, kernel: kernel, norm: BatchNormParameters(channels: outChannels))
    }

    /// Inference: BN(conv(x)) on an `h` x `w` grid.
    func inference(_ x: [Float], h: Int, w: Int) -> [Float] {
        batchNormInferenceForward(convolved(x, h: h, w: w), norm, N: 1, C: outChannels, S: h * w)
    }

    /// conv(x) with its bias: what the BatchNorm normalises, `[outChannels, h * w]`.
    func convolved(_ x: [Float], h: Int, w: Int) -> [Float] {
        conv2dForward(x, weight: weight, bias: bias, C: inChannels, H: h, W: w, OC: outChannels, kernel: kernel, padding: padding)
    }
}

/// A standard normal sample (Box-Muller).
func normalSample<G: RandomNumberGenerator>(_ rng: inout G) -> Float {
    let u1 = Float.random(in: Float.ulpOfOne..<1, using: &rng), u2 = Float.random(in: 0..<1, using: &rng)
    return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
}

/// The learned part of ReCLIP / ReCLIP++: the Reference prompt (73 token embeddings) and the
/// network that turns positional embeddings into space-preference bias (plus, for ReCLIP++,
/// the decoder). Channel sizes are read off the weights, so tiny test models work the same.
///
/// ```swift
/// let r = try Rectifier.load(from: url, classes: names, weightsHash: model.hash)
/// let maps = BiasMaps(features: f, ..., rectifier: r, reference: ref)
/// ```
public struct Rectifier: Sendable {
    public var variant: RectifierVariant
    /// Class names, in logit order, the rectifier was trained for.
    public var classNames: [String]
    /// The Reference prompt: `promptLength` x `textWidth` token embeddings.
    public var prompt: [Float]
    public let promptLength: Int, textWidth: Int
    /// ReCLIP: conv3x3-BN-ReLU layers from positional embeddings to K bias maps; empty for ReCLIP++.
    public var spaceLayers: [ConvNormLayer]
    /// ReCLIP++: 1x1 conv `[D, Cv]` + bias `[D]` giving e_p.
    public var peProjWeight: [Float], peProjBias: [Float]
    /// ReCLIP++: conv5x5 (D + K -> K) + BN over [features ; rectified logits].
    public var decoder: ConvNormLayer?
    /// Provenance stored in the rectifier file (weights hash, settings).
    public var metadata: [String: String]
    /// The file the rectifier was read from ("rectifier" for one built in memory); errors name it.
    public var source: String
    /// Classes of a `transferred(to:)` list that have a class bias but no space bias (they were
    /// not among the trained classes); empty for a rectifier on its own classes.
    public var classesWithoutSpaceBias: [String] = []
    /// Its training images in the CLIP's feature space, when its file records them (`reclip
    /// train` does; the authors' checkpoints and files from before session 19 do not): what
    /// `SiteShift` tests a site against. An adapted rectifier keeps its start's.
    public var featureReference: FeatureReference?

    /// Builds a rectifier from parts.
    public init(variant: RectifierVariant, classNames: [String], prompt: [Float], promptLength: Int, textWidth: Int,
                spaceLayers: [ConvNormLayer] = [], peProjWeight: [Float] = [], peProjBias: [Float] = [],
                decoder: ConvNormLayer? = nil, metadata: [String: String] = [:], source: String = "rectifier") {
        self.variant = variant; self.classNames = classNames; self.prompt = prompt
        self.promptLength = promptLength; self.textWidth = textWidth; self.spaceLayers = spaceLayers
        self.peProjWeight = peProjWeight; self.peProjBias = peProjBias; self.decoder = decoder; self.metadata = metadata
        self.source = source
    }

    /// An untrained rectifier initialised as the authors' training does: prompt = 73 copies of
    /// token 0's embedding; Kaiming-normal convs; default 1x1 conv init for `pe_proj`.
    public init<G: RandomNumberGenerator>(untrained variant: RectifierVariant, classNames: [String], tower: TextTransformer,
                                          visualWidth Cv: Int, hiddenWidths: [Int] = [512, 256], using rng: inout G) {
        let L = tower.contextLength - 4, W = tower.width, K = classNames.count, D = tower.embedDim
        var prompt = [Float](); prompt.reserveCapacity(L * W)
        for _ in 0..<L { prompt.append(contentsOf: tower.embedding(of: 0)) }
        var layers: [ConvNormLayer] = [], peW: [Float] = [], peB: [Float] = [], dec: ConvNormLayer? = nil
        switch variant {
        case .reclip:
            let widths = [Cv] + hiddenWidths + [K]
            for i in 0..<(widths.count - 1) {
                layers.append(ConvNormLayer(inChannels: widths[i], outChannels: widths[i + 1], kernel: 3, using: &rng))
            }
        case .reclipPlusPlus:
            // PyTorch's default Conv2d init: kaiming_uniform(a = sqrt 5) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
            let bound = 1 / Float(Cv).squareRoot()
            peW = (0..<(D * Cv)).map { _ in Float.random(in: -bound...bound, using: &rng) }
            peB = (0..<D).map { _ in Float.random(in: -bound...bound, using: &rng) }
            dec = ConvNormLayer(inChannels: D + K, outChannels: K, kernel: 5, using: &rng)
        }
        self.init(variant: variant, classNames: classNames, prompt: prompt, promptLength: L, textWidth: W,
                  spaceLayers: layers, peProjWeight: peW, peProjBias: peB, decoder: dec)
    }

    /// Number of classes.
    public var classCount: Int { classNames.count }

    /// The Reference-prompt sequences `[K, 77, W]` for tokenised class names: SOT, the prompt,
    /// then the first three name tokens (official quirk: `tokenize(name)[1:4]`, so a name longer
    /// than two BPE tokens loses its end-of-text token). Returns the read positions too:
    /// 74 + argmax(n1, n2, n3), i.e. the end-of-text position when it is among the three tokens,
    /// else the position of the largest token id (as `cls_name_token.argmax(dim=-1)` does).
    public func referenceSequences(nameTokens: [[Int]], tower: TextTransformer) -> (embeddings: [Float], readAt: [Int]) {
        let W = textWidth, T = promptLength + 4
        var x = [Float](); x.reserveCapacity(nameTokens.count * T * W)
        var readAt: [Int] = []
        for name in nameTokens {
            precondition(name.count == 3, "reference prompts take exactly three name tokens")
            x.append(contentsOf: tower.embedding(of: startOfTextToken))
            x.append(contentsOf: prompt)
            for id in name { x.append(contentsOf: tower.embedding(of: id)) }
            var best = 0
            for i in 1..<3 where name[i] > name[best] { best = i }
            readAt.append(promptLength + 1 + best)
        }
        return (x, readAt)
    }

    /// The K reference embeddings r_k `[K, D]` divided by the Frobenius norm of the whole
    /// K x D matrix (official behaviour: `prompt / prompt.norm()`, not row by row).
    public func referenceEmbeddings(nameTokens: [[Int]], model: CLIPModel) -> [Float] {
        let seq = referenceSequences(nameTokens: nameTokens, tower: TextTransformer(model: model))
        let out = model.encodeText(tokenEmbeddings: Tensor(shape: [nameTokens.count, promptLength + 4, textWidth],
                                                           data: seq.embeddings), readAt: seq.readAt)
        return l2NormalizeForward(out.data, N: 1, C: out.count).y
    }
}

/// CLIP's `<|startoftext|>` token id.
public let startOfTextToken = 49406
/// CLIP's `<|endoftext|>` token id.
public let endOfTextToken = 49407

/// The first three tokens after `<|startoftext|>` of a CLIP-tokenised name padded with zeros to
/// the context length (`clip.tokenize(name)[0][1:4]`): `tokens` is the name's BPE ids.
public func referenceNameTokens(bpe tokens: [Int]) -> [Int] {
    let seq = tokens + [endOfTextToken, 0, 0]
    return Array(seq.prefix(3))
}
