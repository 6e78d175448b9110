import Foundation
import Math
import FileIO
import ModelFiles

/// CLIP's text tower as the rectifier trains through it: the model's `TextTowerWeights` run
/// with activation caches so that gradients flow back to the input token embeddings (the
/// weights themselves stay frozen). Same semantics as `CLIPModel.encodeText(tokenEmbeddings:readAt:)`:
/// positional embedding added, causal pre-LayerNorm blocks, ln_final at the read position,
/// text projection.
///
/// ```swift
/// let tower = TextTransformer(model: model)
/// let run = tower.forward(embeddings: x, sequences: K, length: 77, readAt: rows)
/// let dx = tower.backward(run, dout: dOutput)          // gradient w.r.t. x, [K, 77, W]
/// ```
public struct TextTransformer: Sendable {
    public let weights: TextTowerWeights
    public let heads: Int, embedDim: Int
    public let activation: Activation
    public let eps: Float

    /// The precision the tower's blocks run in, forward and backward.
    public let precision: Precision

    /// The model's text tower; with `precision` bf16 (where the CPU has AVX512_BF16, else fp32:
    /// `Precision.available`) the four linear layers of every block run in bfloat16 with float32
    /// accumulation, forward and input gradient alike; LayerNorms, attention, ln_final and the
    /// projection stay float32.
    public init(model: CLIPModel, precision: Precision = .fp32) {
        self.init(model: model, running: precision.available.precision)
    }

    /// The tower in `precision` as asked, without the CPU check: bf16 then runs the portable
    /// kernel on a CPU without AVX512_BF16 (the same sums, far slower), as tests want.
    init(model: CLIPModel, running precision: Precision) {
        var weights = model.text
        self.precision = precision
        if precision == .bf16 {
            for i in weights.blocks.indices { weights.blocks[i].convertToBF16ForBackward() }
        }
        self.weights = weights
        heads = model.architecture.textHeads
        embedDim = model.architecture.embedDim
        activation = model.architecture.activation
        eps = model.architecture.layerNormEps
    }

    /// Transformer width W.
    public var width: Int { weights.lnFinal.weight.count }
    /// Positions (77 for CLIP).
    public var contextLength: Int { weights.positionalEmbedding.count / width }
    /// The embedding row of token `id`.
    public func embedding(of id: Int) -> ArraySlice<Float> { weights.tokenEmbedding[(id * width)..<((id + 1) * width)] }

    /// A forward run: the projected outputs and what the backward needs.
    public struct Run {
        /// `[N, D]`: row n is `ln_final(x)[n, readAt[n]] @ text_projection`.
        public let output: [Float]
        let sequences: Int, length: Int, readAt: [Int]
        let blocks: [BlockActivations]
        let final: [Float]
        let lnFinal: (y: [Float], mean: [Float], rstd: [Float])
    }

    /// Runs `N` sequences of `T` input embeddings (`[N, T, W]`, positional embeddings not yet
    /// added) through the tower and reads sequence n at position `readAt[n]`.
    public func forward(embeddings: [Float], sequences N: Int, length T: Int, readAt: [Int]) -> Run {
        let W = width
        var x = embeddings
        let pos = weights.positionalEmbedding
        for n in 0..<N { for t in 0..<T { for i in 0..<W { x[(n * T + t) * W + i] += pos[t * W + i] } } }
        var caches: [BlockActivations] = []
        caches.reserveCapacity(weights.blocks.count)
        for b in weights.blocks {
            let (y, cache) = b.forward(x, batch: N, tokens: T, heads: heads, causal: true, activation: activation, eps: eps)
            caches.append(cache)
            x = y
        }
        // Only the read rows go through ln_final and the projection.
        var rows = [Float](repeating: 0, count: N * W)
        for n in 0..<N { for i in 0..<W { rows[n * W + i] = x[(n * T + readAt[n]) * W + i] } }
        let lnf = layerNormForward(rows, weight: weights.lnFinal.weight, bias: weights.lnFinal.bias, N: N, C: W, eps: eps)
        let p = weights.projection
        let out = matmulForward(lnf.y, weight: p.weight, bias: p.bias, N: N, C: W, OC: p.outFeatures)
        return Run(output: out, sequences: N, length: T, readAt: readAt, blocks: caches, final: rows, lnFinal: lnf)
    }

    /// Gradient of the run's output `[N, D]` with respect to its input embeddings `[N, T, W]`
    /// (the tower's own weights stay frozen).
    public func backward(_ run: Run, dout: [Float]) -> [Float] {
        let W = width, N = run.sequences, T = run.length, R = N * T
        var drows = [Float](repeating: 0, count: N * W)
        var noWeight: [Float]? = nil, noBias: [Float]? = nil
        matmulBackward(dout: dout, inp: run.lnFinal.y, weight: weights.projection.weight, dinp: &drows,
                       dweight: &noWeight, dbias: &noBias, N: N, C: W, OC: weights.projection.outFeatures)
        var dfinal = [Float](repeating: 0, count: N * W)
        var dlw = [Float](repeating: 0, count: W), dlb = dlw
        layerNormBackward(dy: drows, x: run.final, mean: run.lnFinal.mean, rstd: run.lnFinal.rstd, weight: weights.lnFinal.weight,
                          dx: &dfinal, dweight: &dlw, dbias: &dlb, N: N, C: W)
        var dx = [Float](repeating: 0, count: R * W)
        for n in 0..<N { for i in 0..<W { dx[(n * T + run.readAt[n]) * W + i] = dfinal[n * W + i] } }
        var frozen: TransformerBlockWeights? = nil
        for (b, c) in zip(weights.blocks, run.blocks).reversed() {
            dx = b.backward(dx, c, heads: heads, causal: true, activation: activation, gradients: &frozen)
        }
        return dx   // positional embeddings are added, so the gradient passes unchanged
    }
}
