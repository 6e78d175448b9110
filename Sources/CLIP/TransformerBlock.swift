import Math
import FileIO
import ModelFiles

/// Scratch buffers for running transformer blocks over up to `rows` tokens of width C,
/// allocated once per tower call and reused by every block.
final class TransformerWorkspace {
    let rows: Int
    let width: Int
    /// LayerNorm output [rows, C].
    let normed: UnsafeMutablePointer<Float>
    /// Fused q, k, v [rows, 3C].
    let qkv: UnsafeMutablePointer<Float>
    /// Attention output or value path [rows, C].
    let attended: UnsafeMutablePointer<Float>
    /// Linear output before the residual add [rows, C].
    let projected: UnsafeMutablePointer<Float>
    /// MLP hidden activations [rows, H] (H = 4C in CLIP), or the class token's attention
    /// scores [heads, rows] (heads divide C, so at most C); room for the larger of the two.
    let hidden: UnsafeMutablePointer<Float>

    /// Buffers for `rows` tokens of width `width` and MLPs of `hiddenWidth` (every block of a
    /// tower has the same, as the loaders check).
    init(rows: Int, width: Int, hiddenWidth: Int) {
        self.rows = rows
        self.width = width
        normed = .allocate(capacity: rows * width)
        qkv = .allocate(capacity: rows * 3 * width)
        attended = .allocate(capacity: rows * width)
        projected = .allocate(capacity: rows * width)
        hidden = .allocate(capacity: rows * max(hiddenWidth, width))
    }

    deinit {
        normed.deallocate()
        qkv.deallocate()
        attended.deallocate()
        projected.deallocate()
        hidden.deallocate()
    }
}

extension Activation {
    /// Applies the activation in place to `count` values.
    func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .quickGELU: quickGELUForward(out: x, inp: x, count: count)
        case .gelu: geluForward(out: x, inp: x, count: count)
        }
    }
}

extension TransformerBlockWeights {
    /// Runs the block in place on the residual stream `x` [rows, C]:
    /// x = x + out_proj(attention(ln_1(x) W_qkvᵀ + b_qkv))
    /// x = x + fc2(act(fc1(ln_2(x))))
    /// `sequenceLengths` lists the sequences packed one after another in `x` (rows = their sum).
    func forward(x: UnsafeMutablePointer<Float>, sequenceLengths: [Int], heads: Int, causal: Bool,
                 activation: Activation, eps: Float, workspace ws: TransformerWorkspace) {
        let rows = sequenceLengths.reduce(0, +)
        let c = width
        ln1.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        qkv.forward(out: ws.qkv, inp: ws.normed, rows: rows)
        if let t = sequenceLengths.first, sequenceLengths.allSatisfy({ $0 == t }) {
            attentionForward(out: ws.attended, probs: nil, qkv: ws.qkv, batch: sequenceLengths.count, tokens: t,
                             channels: c, heads: heads, causal: causal)
        } else {
            attentionForward(out: ws.attended, qkv: ws.qkv, sequenceLengths: sequenceLengths, channels: c,
                             heads: heads, causal: causal)
        }
        out.forward(out: ws.projected, inp: ws.attended, rows: rows)
        residualForward(out: x, a: x, b: ws.projected, count: rows * c)
        mlpForward(x: x, rows: rows, activation: activation, eps: eps, workspace: ws)
    }

    /// MaskCLIP's last block, value path only (no query-key attention), in place on `x`:
    /// v = ln_1(x) W_vᵀ + b_v;  x = x + out_proj(v);  x = x + fc2(act(fc1(ln_2(x))))
    func valuePathForward(x: UnsafeMutablePointer<Float>, rows: Int, activation: Activation, eps: Float,
                          workspace ws: TransformerWorkspace) {
        let c = width
        ln1.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        // W_v and b_v are the last C rows of the fused [3C, C] projection.
        qkv.weight.withUnsafeBufferPointer { w in
            qkv.bias!.withUnsafeBufferPointer { b in
                matmulForward(out: ws.attended, inp: ws.normed, weight: w.baseAddress! + 2 * c * c,
                              bias: b.baseAddress! + 2 * c, rows: rows, inFeatures: c, outFeatures: c)
            }
        }
        out.forward(out: ws.projected, inp: ws.attended, rows: rows)
        residualForward(out: x, a: x, b: ws.projected, count: rows * c)
        mlpForward(x: x, rows: rows, activation: activation, eps: eps, workspace: ws)
    }

    /// The block's output for row 0 only (the class token), in place on x[0]; keys and values
    /// still come from all `tokens` rows. The other rows of `x` are left as they were.
    func firstRowForward(x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, activation: Activation,
                         eps: Float, workspace ws: TransformerWorkspace) {
        let c = width
        let d = c / heads
        ln1.forward(out: ws.normed, inp: x, rows: tokens, eps: eps)
        qkv.forward(out: ws.qkv, inp: ws.normed, rows: tokens)
        // Scores of the one query against every key, per head, into the `hidden` scratch.
        let scores = ws.hidden
        for h in 0..<heads {
            let row = scores + h * tokens
            gemm(transposeA: false, transposeB: true, m: 1, n: tokens, k: d, alpha: 1 / Float(d).squareRoot(),
                 a: ws.qkv + h * d, lda: 3 * c, b: ws.qkv + c + h * d, ldb: 3 * c, c: row, ldc: tokens)
            softmaxForward(out: row, inp: row, rows: 1, columns: tokens)
            gemm(transposeA: false, transposeB: false, m: 1, n: d, k: tokens,
                 a: row, lda: tokens, b: ws.qkv + 2 * c + h * d, ldb: 3 * c, c: ws.attended + h * d, ldc: c)
        }
        out.forward(out: ws.projected, inp: ws.attended, rows: 1)
        residualForward(out: x, a: x, b: ws.projected, count: c)
        mlpForward(x: x, rows: 1, activation: activation, eps: eps, workspace: ws)
    }

    /// x = x + fc2(act(fc1(ln_2(x)))) over `rows` rows.
    private func mlpForward(x: UnsafeMutablePointer<Float>, rows: Int, activation: Activation, eps: Float,
                            workspace ws: TransformerWorkspace) {
        ln2.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        fc1.forward(out: ws.hidden, inp: ws.normed, rows: rows)
        activation.forward(ws.hidden, count: rows * fc1.outFeatures)
        fc2.forward(out: ws.projected, inp: ws.hidden, rows: rows)
        residualForward(out: x, a: x, b: ws.projected, count: rows * width)
    }
}
