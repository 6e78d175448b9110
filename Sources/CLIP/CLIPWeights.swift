import Math
import FileIO
import ModelFiles

/// A linear layer in PyTorch's layout: y = x Wᵀ + b, `weight` [outFeatures, inFeatures].
///
/// The weight is held in float32 (`weight`), or, after `convertToBF16()`, in bfloat16 only
/// (`bf16`; `weight` is then empty), which halves its memory; `forward` uses whichever it holds.
/// A frozen layer that gradients pass through (the text tower while a rectifier trains) can hold
/// W in bfloat16 twice, packed for the forward and for the input gradient
/// (`convertToBF16ForBackward()`); `backwardInput` uses that.
public struct LinearWeights: Sendable {
    /// W [outFeatures, inFeatures] in float32; empty when the layer holds bf16 weights.
    public var weight: [Float]
    public var bias: [Float]?
    public let inFeatures: Int
    public let outFeatures: Int
    /// W rounded to bfloat16 and packed for the bf16 kernel, when the layer runs in bf16.
    public private(set) var bf16: BF16Matrix?
    /// Wᵀ rounded to bfloat16 and packed, for the input gradient dx = dy · W of a frozen bf16
    /// layer (`convertToBF16ForBackward()`); the same rounded values as `bf16`.
    public private(set) var bf16Transposed: BF16Matrix?

    public init(weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int) {
        precondition(weight.count == inFeatures * outFeatures, "linear weight size mismatch")
        precondition(bias.map { $0.count == outFeatures } ?? true, "linear bias size mismatch")
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// The precision `forward` runs in.
    public var precision: Precision { bf16 == nil ? .fp32 : .bf16 }

    /// Rounds W to bfloat16 and keeps only that (the float32 weight is released); the bias stays
    /// float32. Nothing happens when the layer is bf16 already.
    public mutating func convertToBF16() {
        guard bf16 == nil else { return }
        bf16 = BF16Matrix(weight, rows: outFeatures, columns: inFeatures)
        weight = []
    }

    /// Rounds W to bfloat16 for a frozen layer that gradients pass through: packed for the
    /// forward (as `convertToBF16()`) and, transposed, for `backwardInput`; the float32 weight is
    /// released, so the layer can no longer have a weight gradient. Nothing happens when the
    /// layer holds both already.
    public mutating func convertToBF16ForBackward() {
        guard bf16Transposed == nil else { return }
        precondition(bf16 == nil, "the float32 weight of a bf16 layer is gone: reload it to train through it")
        weight.withUnsafeBufferPointer { w in
            bf16 = BF16Matrix(w.baseAddress!, rows: outFeatures, columns: inFeatures)
            bf16Transposed = BF16Matrix(transposing: w.baseAddress!, rows: inFeatures, columns: outFeatures)
        }
        weight = []
    }

    // Input gradient of y = x Wᵀ + b, accumulated:  dx[rows, in] += dy[rows, out] · W[out, in]
    /// dinp += dout · W for a layer after `convertToBF16ForBackward()`, with W rounded as the
    /// forward rounds it (a float32 layer's input gradient is `matmulBackward`'s).
    public func backwardInput(dout: UnsafePointer<Float>, dinp: UnsafeMutablePointer<Float>, rows: Int) {
        guard let bf16Transposed else {
            preconditionFailure("backwardInput needs the transposed bf16 weights of convertToBF16ForBackward()")
        }
        gemm(m: rows, k: outFeatures, a: dout, lda: outFeatures, weight: bf16Transposed, beta: 1, c: dinp, ldc: inFeatures)
    }

    /// out[rows, outputs.count] = inp[rows, inFeatures] W[outputs]ᵀ + b[outputs]: the output
    /// features `outputs` (default all) of the layer, in its precision.
    public func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int,
                        outputs: Range<Int>? = nil) {
        let outputs = outputs ?? 0..<outFeatures
        precondition(outputs.lowerBound >= 0 && outputs.upperBound <= outFeatures, "outputs \(outputs) of \(outFeatures)")
        func run(_ bias: UnsafePointer<Float>?) {
            if let bf16 {
                matmulForward(out: out, inp: inp, weight: bf16, outputs: outputs, bias: bias, rows: rows)
                return
            }
            weight.withUnsafeBufferPointer { w in
                matmulForward(out: out, inp: inp, weight: w.baseAddress! + outputs.lowerBound * inFeatures, bias: bias,
                              rows: rows, inFeatures: inFeatures, outFeatures: outputs.count)
            }
        }
        if let bias {
            bias.withUnsafeBufferPointer { run($0.baseAddress! + outputs.lowerBound) }
        } else {
            run(nil)
        }
    }
}

extension LinearWeights {
    /// 2 · rows · inFeatures · outputs, the multiply-adds of `forward` for `outputs` (default
    /// all) of the output features, as `ForwardProfile` counts them (the bias add not counted).
    func flops(rows: Int, outputs: Int? = nil) -> Double {
        2 * Double(rows) * Double(inFeatures) * Double(outputs ?? outFeatures)
    }
}

/// LayerNorm affine parameters over `weight.count` channels.
public struct LayerNormWeights: Sendable {
    public var weight: [Float]
    public var bias: [Float]

    public init(weight: [Float], bias: [Float]) {
        precondition(weight.count == bias.count, "LayerNorm weight and bias sizes differ")
        self.weight = weight
        self.bias = bias
    }

    /// Normalises `rows` rows of `weight.count` channels from `inp` into `out` (may alias).
    public func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, eps: Float) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                layerNormForward(out: out, mean: nil, rstd: nil, inp: inp, weight: w.baseAddress!,
                                 bias: b.baseAddress!, rows: rows, channels: w.count, eps: eps)
            }
        }
    }

    /// FLOPs of `forward` over `rows` rows, as `ForwardProfile` counts them.
    func flops(rows: Int) -> Double {
        ForwardProfile.Operation.flopsPerElement[.layerNorm]! * Double(rows * weight.count)
    }
}

/// One pre-LayerNorm residual attention block:
/// x = x + out_proj(attention(qkv(ln_1(x)))); x = x + fc2(act(fc1(ln_2(x)))).
public struct TransformerBlockWeights: Sendable {
    public var ln1: LayerNormWeights
    /// Fused q, k, v projection [3C, C] (PyTorch's `in_proj_weight` order).
    public var qkv: LinearWeights
    public var out: LinearWeights
    public var ln2: LayerNormWeights
    /// MLP expansion [4C, C] (`c_fc`, `fc1`).
    public var fc1: LinearWeights
    /// MLP contraction [C, 4C] (`c_proj`, `fc2`).
    public var fc2: LinearWeights

    public init(ln1: LayerNormWeights, qkv: LinearWeights, out: LinearWeights, ln2: LayerNormWeights,
                fc1: LinearWeights, fc2: LinearWeights) {
        self.ln1 = ln1
        self.qkv = qkv
        self.out = out
        self.ln2 = ln2
        self.fc1 = fc1
        self.fc2 = fc2
    }

    /// Width C.
    public var width: Int { out.outFeatures }

    /// Holds the four linear layers' weights in bfloat16 only (LayerNorms and biases stay float32).
    public mutating func convertToBF16() {
        qkv.convertToBF16(); out.convertToBF16(); fc1.convertToBF16(); fc2.convertToBF16()
    }

    /// The four linear layers in bfloat16 for the forward and the input gradient of a frozen
    /// block (`LinearWeights.convertToBF16ForBackward()`).
    public mutating func convertToBF16ForBackward() {
        qkv.convertToBF16ForBackward(); out.convertToBF16ForBackward()
        fc1.convertToBF16ForBackward(); fc2.convertToBF16ForBackward()
    }
}

/// The image tower's weights (a ViT with a class token).
public struct VisionTowerWeights: Sendable {
    /// Patch-embedding convolution [C, 3, P, P], no bias.
    public var patchEmbedding: [Float]
    /// Class token embedding [C].
    public var classEmbedding: [Float]
    /// Positional embedding [1 + grid², C]; row 0 is the class token's.
    public var positionalEmbedding: [Float]
    public var lnPre: LayerNormWeights
    public var blocks: [TransformerBlockWeights]
    public var lnPost: LayerNormWeights
    /// Projection to the joint space [D, C] (`visual.proj` transposed).
    public var projection: LinearWeights

    public init(patchEmbedding: [Float], classEmbedding: [Float], positionalEmbedding: [Float],
                lnPre: LayerNormWeights, blocks: [TransformerBlockWeights], lnPost: LayerNormWeights,
                projection: LinearWeights) {
        self.patchEmbedding = patchEmbedding
        self.classEmbedding = classEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.lnPre = lnPre
        self.blocks = blocks
        self.lnPost = lnPost
        self.projection = projection
    }
}

/// The text tower's weights (a causal transformer over token embeddings).
public struct TextTowerWeights: Sendable {
    /// Token embedding [vocabulary, W].
    public var tokenEmbedding: [Float]
    /// Positional embedding [context, W].
    public var positionalEmbedding: [Float]
    public var blocks: [TransformerBlockWeights]
    public var lnFinal: LayerNormWeights
    /// Projection to the joint space [D, W] (`text_projection` transposed).
    public var projection: LinearWeights

    public init(tokenEmbedding: [Float], positionalEmbedding: [Float], blocks: [TransformerBlockWeights],
                lnFinal: LayerNormWeights, projection: LinearWeights) {
        self.tokenEmbedding = tokenEmbedding
        self.positionalEmbedding = positionalEmbedding
        self.blocks = blocks
        self.lnFinal = lnFinal
        self.projection = projection
    }
}

/// A CLIP model: both towers, their sizes, and the contrastive logit scale, whichever
/// checkpoint layout it was loaded from.
///
/// ```swift
/// let model = try CLIPModel(contentsOf: "ViT-B-16.safetensors")
/// let text = try model.encodeText(tokens: ids)          // [n, D]
/// let dense = model.denseFeatures(image: input)         // [h, w, D]
/// ```
public struct CLIPModel: Sendable {
    public var architecture: CLIPArchitecture
    public var vision: VisionTowerWeights
    public var text: TextTowerWeights
    /// log of the logit scale (CLIP's `logit_scale` parameter; multiply cosines by its exp).
    public var logitScale: Float

    public init(architecture: CLIPArchitecture, vision: VisionTowerWeights, text: TextTowerWeights,
                logitScale: Float) {
        self.architecture = architecture
        self.vision = vision
        self.text = text
        self.logitScale = logitScale
    }
}
