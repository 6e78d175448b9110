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

    public init(model: CLIPModel) {
        weights = model.text
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

    func activate(_ x: [Float]) -> [Float] {
        activation == .quickGELU ? quickGELUForward(x) : geluForward(x)
    }

    func activateBackward(dy: [Float], x: [Float], dx: inout [Float]) {
        if activation == .quickGELU { quickGELUBackward(dy: dy, x: x, dx: &dx) } else { geluBackward(dy: dy, x: x, dx: &dx) }
    }

    /// Activations of one block kept for the backward pass.
    struct BlockCache {
        var input: [Float]
        var ln1: (y: [Float], mean: [Float], rstd: [Float])
        var qkv: [Float], att: [Float], attnOut: [Float]
        var mid: [Float]
        var ln2: (y: [Float], mean: [Float], rstd: [Float])
        var fc: [Float], gelu: [Float]
    }

    /// A forward run: the projected outputs and what the backward needs.
    public struct Run {
        /// `[N, D]`: row n is `ln_final(x)[n, readAt[n]] @ text_projection`.
        public let output: [Float]
        let sequences: Int, length: Int, readAt: [Int]
        let blocks: [BlockCache]
        let final: [Float]
        let lnFinal: (y: [Float], mean: [Float], rstd: [Float])
    }

    /// Runs `N` sequences of `T` input embeddings (`[N, T, W]`, positional embeddings not yet
    /// added) through the tower and reads sequence n at position `readAt[n]`.
    public func forward(embeddings: [Float], sequences N: Int, length T: Int, readAt: [Int]) -> Run {
        let W = width, R = N * T
        var x = embeddings
        let pos = weights.positionalEmbedding
        for n in 0..<N { for t in 0..<T { for i in 0..<W { x[(n * T + t) * W + i] += pos[t * W + i] } } }
        var caches: [BlockCache] = []
        caches.reserveCapacity(weights.blocks.count)
        for b in weights.blocks {
            let H = b.fc1.outFeatures
            let ln1 = layerNormForward(x, weight: b.ln1.weight, bias: b.ln1.bias, N: R, C: W, eps: eps)
            let qkv = matmulForward(ln1.y, weight: b.qkv.weight, bias: b.qkv.bias, N: R, C: W, OC: 3 * W)
            let a = attentionForward(qkv, batch: N, T: T, C: W, heads: heads, causal: true)
            let o = matmulForward(a.out, weight: b.out.weight, bias: b.out.bias, N: R, C: W, OC: W)
            var mid = x
            for i in 0..<mid.count { mid[i] += o[i] }
            let ln2 = layerNormForward(mid, weight: b.ln2.weight, bias: b.ln2.bias, N: R, C: W, eps: eps)
            let fc = matmulForward(ln2.y, weight: b.fc1.weight, bias: b.fc1.bias, N: R, C: W, OC: H)
            let g = activate(fc)
            let m = matmulForward(g, weight: b.fc2.weight, bias: b.fc2.bias, N: R, C: H, OC: W)
            caches.append(BlockCache(input: x, ln1: ln1, qkv: qkv, att: a.att, attnOut: a.out, mid: mid,
                                     ln2: ln2, fc: fc, gelu: g))
            x = mid
            for i in 0..<x.count { x[i] += m[i] }
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
        var dw1 = [Float](repeating: 0, count: W), db1 = dw1
        for (b, c) in zip(weights.blocks, run.blocks).reversed() {
            let H = b.fc1.outFeatures
            // x_out = mid + fc2(act(fc1(ln2(mid))))
            var dg = [Float](repeating: 0, count: R * H)
            matmulBackward(dout: dx, inp: c.gelu, weight: b.fc2.weight, dinp: &dg, dweight: &noWeight, dbias: &noBias,
                           N: R, C: H, OC: W)
            var dfc = [Float](repeating: 0, count: R * H)
            activateBackward(dy: dg, x: c.fc, dx: &dfc)
            var dln2 = [Float](repeating: 0, count: R * W)
            matmulBackward(dout: dfc, inp: c.ln2.y, weight: b.fc1.weight, dinp: &dln2, dweight: &noWeight, dbias: &noBias,
                           N: R, C: W, OC: H)
            var dmid = dx
            layerNormBackward(dy: dln2, x: c.mid, mean: c.ln2.mean, rstd: c.ln2.rstd, weight: b.ln2.weight,
                              dx: &dmid, dweight: &dw1, dbias: &db1, N: R, C: W)
            // mid = x_in + out_proj(attention(in_proj(ln1(x_in))))
            var dattn = [Float](repeating: 0, count: R * W)
            matmulBackward(dout: dmid, inp: c.attnOut, weight: b.out.weight, dinp: &dattn, dweight: &noWeight,
                           dbias: &noBias, N: R, C: W, OC: W)
            var dqkv = [Float](repeating: 0, count: R * 3 * W)
            attentionBackward(dout: dattn, qkv: c.qkv, att: c.att, dqkv: &dqkv, batch: N, T: T, C: W, heads: heads,
                              causal: true)
            var dln1 = [Float](repeating: 0, count: R * W)
            matmulBackward(dout: dqkv, inp: c.ln1.y, weight: b.qkv.weight, dinp: &dln1, dweight: &noWeight,
                           dbias: &noBias, N: R, C: W, OC: 3 * W)
            var dinput = dmid
            layerNormBackward(dy: dln1, x: c.input, mean: c.ln1.mean, rstd: c.ln1.rstd, weight: b.ln1.weight,
                              dx: &dinput, dweight: &dw1, dbias: &db1, N: R, C: W)
            dx = dinput
        }
        return dx   // positional embeddings are added, so the gradient passes unchanged
    }
}
