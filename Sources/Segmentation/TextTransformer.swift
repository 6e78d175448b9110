import Foundation
import Math

/// Weights of one pre-LayerNorm residual block of CLIP's text transformer (PyTorch layouts:
/// linear weights are `[out, in]`, the attention's q/k/v projections fused as `in_proj`).
public struct TextBlockWeights: Sendable {
    public var ln1Weight: [Float], ln1Bias: [Float]
    public var inProjWeight: [Float], inProjBias: [Float]      // [3W, W], [3W]
    public var outProjWeight: [Float], outProjBias: [Float]    // [W, W], [W]
    public var ln2Weight: [Float], ln2Bias: [Float]
    public var fcWeight: [Float], fcBias: [Float]              // [4W, W], [4W]
    public var projWeight: [Float], projBias: [Float]          // [W, 4W], [W]
}

/// CLIP's text tower as the rectifier trains through it: token and positional embeddings,
/// causal pre-LayerNorm blocks with QuickGELU, `ln_final`, and the text projection.
/// Runs with activation caches so that gradients can flow back to input embeddings.
///
/// ```swift
/// let tower = try TextTransformer(openAI: tensors)      // OpenAI state-dict names
/// let run = tower.forward(embeddings: x, sequences: K, length: 77, readAt: rows)
/// let dx = tower.backward(run, dout: dEmbeddings)        // gradient w.r.t. x
/// ```
public struct TextTransformer: Sendable {
    public let width: Int, heads: Int, contextLength: Int, embedDim: Int, vocabSize: Int
    public var tokenEmbedding: [Float]        // [V, W]
    public var positionalEmbedding: [Float]   // [ctx, W]
    public var blocks: [TextBlockWeights]
    public var lnFinalWeight: [Float], lnFinalBias: [Float]
    public var textProjection: [Float]        // [W, D]: out = x @ P

    /// Reads the OpenAI / open_clip state-dict layout (`token_embedding.weight`,
    /// `transformer.resblocks.N.*`, `ln_final.*`, `text_projection`); sizes from the shapes.
    public init(openAI t: [String: Tensor], file: String = "weights") throws {
        func get(_ k: String) throws -> Tensor {
            guard let v = t[k] else { throw TensorFileError(file: file, problem: "missing tensor \(k)") }
            return v
        }
        let tok = try get("token_embedding.weight"), pos = try get("positional_embedding")
        let proj = try get("text_projection")
        vocabSize = tok.shape[0]; width = tok.shape[1]; contextLength = pos.shape[0]; embedDim = proj.shape[1]
        heads = max(1, width / 64)
        tokenEmbedding = tok.data; positionalEmbedding = pos.data; textProjection = proj.data
        lnFinalWeight = try get("ln_final.weight").data; lnFinalBias = try get("ln_final.bias").data
        var layers = 0
        while t["transformer.resblocks.\(layers).ln_1.weight"] != nil { layers += 1 }
        blocks = try (0..<layers).map { i in
            let p = "transformer.resblocks.\(i)."
            return TextBlockWeights(
                ln1Weight: try get(p + "ln_1.weight").data, ln1Bias: try get(p + "ln_1.bias").data,
                inProjWeight: try get(p + "attn.in_proj_weight").data, inProjBias: try get(p + "attn.in_proj_bias").data,
                outProjWeight: try get(p + "attn.out_proj.weight").data, outProjBias: try get(p + "attn.out_proj.bias").data,
                ln2Weight: try get(p + "ln_2.weight").data, ln2Bias: try get(p + "ln_2.bias").data,
                fcWeight: try get(p + "mlp.c_fc.weight").data, fcBias: try get(p + "mlp.c_fc.bias").data,
                projWeight: try get(p + "mlp.c_proj.weight").data, projBias: try get(p + "mlp.c_proj.bias").data)
        }
    }

    /// Builds a tower from its parts (heads given explicitly).
    public init(heads: Int, tokenEmbedding: [Float], positionalEmbedding: [Float], blocks: [TextBlockWeights],
                lnFinalWeight: [Float], lnFinalBias: [Float], textProjection: [Float], width: Int, embedDim: Int) {
        self.width = width; self.heads = heads; self.embedDim = embedDim
        self.vocabSize = tokenEmbedding.count / width; self.contextLength = positionalEmbedding.count / width
        self.tokenEmbedding = tokenEmbedding; self.positionalEmbedding = positionalEmbedding; self.blocks = blocks
        self.lnFinalWeight = lnFinalWeight; self.lnFinalBias = lnFinalBias; self.textProjection = textProjection
    }

    /// The embedding row of token `id`.
    public func embedding(of id: Int) -> ArraySlice<Float> { tokenEmbedding[(id * width)..<((id + 1) * width)] }

    /// Activations of one block kept for the backward pass.
    struct BlockCache {
        var input: [Float]
        var ln1: (y: [Float], mean: [Float], rstd: [Float])
        var qkv: [Float], att: [[Float]], attnOut: [Float]
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
        for n in 0..<N { for t in 0..<T { for i in 0..<W { x[(n * T + t) * W + i] += positionalEmbedding[t * W + i] } } }
        var caches: [BlockCache] = []
        caches.reserveCapacity(blocks.count)
        for b in blocks {
            let ln1 = layerNormForward(x, weight: b.ln1Weight, bias: b.ln1Bias, N: R, C: W)
            let qkv = linearForward(ln1.y, weight: b.inProjWeight, bias: b.inProjBias, N: R, C: W, OC: 3 * W)
            var attnOut = [Float](repeating: 0, count: R * W)
            var atts: [[Float]] = []
            for n in 0..<N {
                let seq = Array(qkv[(n * T * 3 * W)..<((n + 1) * T * 3 * W)])
                let a = attentionForward(seq, T: T, C: W, heads: heads, causal: true)
                attnOut.replaceSubrange((n * T * W)..<((n + 1) * T * W), with: a.out)
                atts.append(a.att)
            }
            let o = linearForward(attnOut, weight: b.outProjWeight, bias: b.outProjBias, N: R, C: W, OC: W)
            var mid = x
            for i in 0..<mid.count { mid[i] += o[i] }
            let ln2 = layerNormForward(mid, weight: b.ln2Weight, bias: b.ln2Bias, N: R, C: W)
            let fc = linearForward(ln2.y, weight: b.fcWeight, bias: b.fcBias, N: R, C: W, OC: 4 * W)
            let g = quickGeluForward(fc)
            let m = linearForward(g, weight: b.projWeight, bias: b.projBias, N: R, C: 4 * W, OC: W)
            caches.append(BlockCache(input: x, ln1: ln1, qkv: qkv, att: atts, attnOut: attnOut, mid: mid,
                                     ln2: ln2, fc: fc, gelu: g))
            x = mid
            for i in 0..<x.count { x[i] += m[i] }
        }
        // Only the read rows go through ln_final and the projection.
        var rows = [Float](repeating: 0, count: N * W)
        for n in 0..<N { for i in 0..<W { rows[n * W + i] = x[(n * T + readAt[n]) * W + i] } }
        let lnf = layerNormForward(rows, weight: lnFinalWeight, bias: lnFinalBias, N: N, C: W)
        let out = projectText(lnf.y, N: N)
        return Run(output: out, sequences: N, length: T, readAt: readAt, blocks: caches, final: rows, lnFinal: lnf)
    }

    /// rows[N, W] @ text_projection[W, D].
    func projectText(_ rows: [Float], N: Int) -> [Float] {
        // text_projection is [W, D]; linearForward wants [OC, C]: use its transpose.
        linearForward(rows, weight: transposedProjection, bias: nil, N: N, C: width, OC: embedDim)
    }

    /// text_projection^T, [D, W].
    var transposedProjection: [Float] {
        var t = [Float](repeating: 0, count: width * embedDim)
        for w in 0..<width { for d in 0..<embedDim { t[d * width + w] = textProjection[w * embedDim + d] } }
        return t
    }

    /// Gradient of the run's output `[N, D]` with respect to its input embeddings `[N, T, W]`
    /// (the tower's own weights stay frozen).
    public func backward(_ run: Run, dout: [Float]) -> [Float] {
        let W = width, N = run.sequences, T = run.length, R = N * T
        var drows = [Float](repeating: 0, count: N * W)
        var noWeight: [Float]? = nil, noBias: [Float]? = nil
        linearBackward(dout: dout, inp: run.lnFinal.y, weight: transposedProjection, dinp: &drows,
                       dweight: &noWeight, dbias: &noBias, N: N, C: W, OC: embedDim)
        var dfinal = [Float](repeating: 0, count: N * W)
        var dlw = [Float](repeating: 0, count: W), dlb = dlw
        layerNormBackward(dy: drows, x: run.final, mean: run.lnFinal.mean, rstd: run.lnFinal.rstd, weight: lnFinalWeight,
                          dx: &dfinal, dweight: &dlw, dbias: &dlb, N: N, C: W)
        var dx = [Float](repeating: 0, count: R * W)
        for n in 0..<N { for i in 0..<W { dx[(n * T + run.readAt[n]) * W + i] = dfinal[n * W + i] } }
        var dw1 = [Float](repeating: 0, count: W), db1 = dw1
        for (b, c) in zip(blocks, run.blocks).reversed() {
            // x_out = mid + proj(gelu(fc(ln2(mid))))
            var dg = [Float](repeating: 0, count: R * 4 * W)
            linearBackward(dout: dx, inp: c.gelu, weight: b.projWeight, dinp: &dg, dweight: &noWeight, dbias: &noBias,
                           N: R, C: 4 * W, OC: W)
            var dfc = [Float](repeating: 0, count: R * 4 * W)
            quickGeluBackward(dy: dg, x: c.fc, dx: &dfc)
            var dln2 = [Float](repeating: 0, count: R * W)
            linearBackward(dout: dfc, inp: c.ln2.y, weight: b.fcWeight, dinp: &dln2, dweight: &noWeight, dbias: &noBias,
                           N: R, C: W, OC: 4 * W)
            var dmid = dx
            layerNormBackward(dy: dln2, x: c.mid, mean: c.ln2.mean, rstd: c.ln2.rstd, weight: b.ln2Weight,
                              dx: &dmid, dweight: &dw1, dbias: &db1, N: R, C: W)
            // mid = x_in + out_proj(attention(in_proj(ln1(x_in))))
            var dattn = [Float](repeating: 0, count: R * W)
            linearBackward(dout: dmid, inp: c.attnOut, weight: b.outProjWeight, dinp: &dattn, dweight: &noWeight,
                           dbias: &noBias, N: R, C: W, OC: W)
            var dqkv = [Float](repeating: 0, count: R * 3 * W)
            for n in 0..<N {
                let seq = Array(c.qkv[(n * T * 3 * W)..<((n + 1) * T * 3 * W)])
                let dseqOut = Array(dattn[(n * T * W)..<((n + 1) * T * W)])
                var dseq = [Float](repeating: 0, count: T * 3 * W)
                attentionBackward(dout: dseqOut, qkv: seq, att: c.att[n], dqkv: &dseq, T: T, C: W, heads: heads, causal: true)
                dqkv.replaceSubrange((n * T * 3 * W)..<((n + 1) * T * 3 * W), with: dseq)
            }
            var dln1 = [Float](repeating: 0, count: R * W)
            linearBackward(dout: dqkv, inp: c.ln1.y, weight: b.inProjWeight, dinp: &dln1, dweight: &noWeight,
                           dbias: &noBias, N: R, C: W, OC: 3 * W)
            var dinput = dmid
            layerNormBackward(dy: dln1, x: c.input, mean: c.ln1.mean, rstd: c.ln1.rstd, weight: b.ln1Weight,
                              dx: &dinput, dweight: &dw1, dbias: &db1, N: R, C: W)
            dx = dinput
        }
        return dx   // positional embeddings are added, so the gradient passes unchanged
    }
}
