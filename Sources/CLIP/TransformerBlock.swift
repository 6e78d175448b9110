import Math
import FileIO
import ModelFiles

/// Scratch buffers for running transformer blocks over up to `rows` tokens of width C,
/// allocated once per tower call and reused by every block, and the profile (if any) the
/// blocks record their operations in.
final class TransformerWorkspace {
    let rows: Int
    let width: Int
    /// Where the blocks time their operations; nil (the default) when nobody profiles.
    let profile: ForwardProfile?
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
    init(rows: Int, width: Int, hiddenWidth: Int, profile: ForwardProfile? = nil) {
        self.rows = rows
        self.width = width
        self.profile = profile
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

    /// The activation's gradient, accumulated into `dx`; `vectorised` (a bf16 block) uses the
    /// vector kernel where there is one (QuickGELU), the same gradient in another rounding.
    func backward(dy: [Float], x: [Float], dx: inout [Float], vectorised: Bool = false) {
        switch self {
        case .quickGELU where vectorised: quickGELUBackwardVectorised(dy: dy, x: x, dx: &dx)
        case .quickGELU: quickGELUBackward(dy: dy, x: x, dx: &dx)
        case .gelu: geluBackward(dy: dy, x: x, dx: &dx)
        }
    }
}

/// What a block's backward pass needs from its forward pass over B sequences of T tokens
/// (rows R = B T, width C, MLP width H, NH heads): llm.c's activations, one set per block.
public struct BlockActivations: Sendable {
    public let batch: Int, tokens: Int
    /// The block's input x [R, C].
    var input: [Float]
    /// ln_1(x) [R, C] and its statistics [R].
    var ln1: [Float], ln1Mean: [Float], ln1Rstd: [Float]
    /// q, k, v [R, 3C].
    var qkv: [Float]
    /// Attention probabilities [B, NH, T, T].
    var probabilities: [Float]
    /// Attention output before out_proj [R, C].
    var attention: [Float]
    /// x + out_proj(attention) [R, C].
    var residual: [Float]
    /// ln_2(residual) [R, C] and its statistics [R].
    var ln2: [Float], ln2Mean: [Float], ln2Rstd: [Float]
    /// fc1 output before the activation [R, H], and after it.
    var fc: [Float], activated: [Float]

    init(batch: Int, tokens: Int, width c: Int, hidden: Int, heads: Int) {
        self.batch = batch
        self.tokens = tokens
        let r = batch * tokens
        func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
        input = zeros(r * c); ln1 = zeros(r * c); ln1Mean = zeros(r); ln1Rstd = zeros(r)
        qkv = zeros(r * 3 * c); probabilities = zeros(batch * heads * tokens * tokens); attention = zeros(r * c)
        residual = zeros(r * c); ln2 = zeros(r * c); ln2Mean = zeros(r); ln2Rstd = zeros(r)
        fc = zeros(r * hidden); activated = zeros(r * hidden)
    }
}

extension LayerNormWeights {
    /// `forward`, also returning each row's mean and 1/std for the backward pass.
    func forwardKeepingStatistics(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int,
                                  eps: Float) -> (mean: [Float], rstd: [Float]) {
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(out: out, mean: &mean, rstd: &rstd, inp: inp, weight: weight, bias: bias, rows: rows,
                         channels: weight.count, eps: eps)
        return (mean, rstd)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Copies `count` floats from here into `array` (which has that many).
    fileprivate func copy(count: Int, into array: inout [Float]) {
        array.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: self, count: count) }
    }
}

extension TransformerBlockWeights {
    // The one pre-LayerNorm residual block, shared by inference, rectifier training and the
    // small CLIP's training:
    //   x = x + out_proj(attention(ln_1(x) W_qkvᵀ + b_qkv))
    //   x = x + fc2(act(fc1(ln_2(x))))
    /// Runs the block in place on the residual stream `x` [rows, C]. `sequenceLengths` lists
    /// the sequences packed one after another in `x` (rows = their sum). With `keep`, the
    /// activations the backward pass needs are returned (the sequences must then have one length).
    @discardableResult
    func forward(x: UnsafeMutablePointer<Float>, sequenceLengths: [Int], heads: Int, causal: Bool,
                 activation: Activation, eps: Float, workspace ws: TransformerWorkspace,
                 keep: Bool = false) -> BlockActivations? {
        let rows = sequenceLengths.reduce(0, +)
        let c = width, hidden = fc1.outFeatures
        let uniform = sequenceLengths.first.map { t in sequenceLengths.allSatisfy { $0 == t } } ?? true
        precondition(!keep || uniform, "keeping activations needs sequences of one length")
        var a = keep ? BlockActivations(batch: sequenceLengths.count, tokens: sequenceLengths.first ?? 0,
                                        width: c, hidden: hidden, heads: heads) : nil
        if a != nil {
            x.copy(count: rows * c, into: &a!.input)
            (a!.ln1Mean, a!.ln1Rstd) = ln1.forwardKeepingStatistics(out: ws.normed, inp: x, rows: rows, eps: eps)
            ws.normed.copy(count: rows * c, into: &a!.ln1)
        } else {
            ws.profile.measure(.layerNorm, flops: ln1.flops(rows: rows)) {
                ln1.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
            }
        }
        ws.profile.measure(.qkvProjection, flops: qkv.flops(rows: rows)) {
            qkv.forward(out: ws.qkv, inp: ws.normed, rows: rows)
        }
        if a != nil {
            ws.qkv.copy(count: rows * 3 * c, into: &a!.qkv)
            attentionForward(out: ws.attended, probs: &a!.probabilities, qkv: ws.qkv, batch: a!.batch, tokens: a!.tokens,
                             channels: c, heads: heads, causal: causal, precision: qkv.precision)
            ws.attended.copy(count: rows * c, into: &a!.attention)
        } else if uniform, let t = sequenceLengths.first {
            attentionForward(out: ws.attended, probs: nil, qkv: ws.qkv, batch: sequenceLengths.count, tokens: t,
                             channels: c, heads: heads, causal: causal, precision: qkv.precision, profile: ws.profile)
        } else {
            attentionForward(out: ws.attended, qkv: ws.qkv, sequenceLengths: sequenceLengths, channels: c,
                             heads: heads, causal: causal)
        }
        outProjectionAndResidual(x: x, rows: rows, workspace: ws)
        if a != nil {
            x.copy(count: rows * c, into: &a!.residual)
            (a!.ln2Mean, a!.ln2Rstd) = ln2.forwardKeepingStatistics(out: ws.normed, inp: x, rows: rows, eps: eps)
            ws.normed.copy(count: rows * c, into: &a!.ln2)
            fc1.forward(out: ws.hidden, inp: ws.normed, rows: rows)
            ws.hidden.copy(count: rows * hidden, into: &a!.fc)
            activation.forward(ws.hidden, count: rows * hidden)
            ws.hidden.copy(count: rows * hidden, into: &a!.activated)
            fc2.forward(out: ws.projected, inp: ws.hidden, rows: rows)
            residualForward(out: x, a: x, b: ws.projected, count: rows * c)
        } else {
            mlpForward(x: x, rows: rows, activation: activation, eps: eps, workspace: ws)
        }
        return a
    }

    /// The array form of `forward(x:...keep: true)` for B sequences of T tokens, [B*T, C] in
    /// and out, with the activations for `backward`.
    public func forward(_ x: [Float], batch: Int, tokens: Int, heads: Int, causal: Bool, activation: Activation,
                        eps: Float) -> (out: [Float], cache: BlockActivations) {
        let ws = TransformerWorkspace(rows: batch * tokens, width: width, hiddenWidth: fc1.outFeatures)
        var y = x
        let cache = y.withUnsafeMutableBufferPointer {
            forward(x: $0.baseAddress!, sequenceLengths: Array(repeating: tokens, count: batch), heads: heads,
                    causal: causal, activation: activation, eps: eps, workspace: ws, keep: true)!
        }
        return (y, cache)
    }

    // Backward, in reverse: the MLP branch, ln_2, the residual, the attention branch, ln_1:
    //   dr = dout + ln_2ᵀ(fc1ᵀ(act'(fc2ᵀ dout)));  dx = dr + ln_1ᵀ(qkvᵀ(attentionᵀ(out_projᵀ dr)))
    /// Gradient of the block with respect to its input. Parameter gradients accumulate into
    /// `gradients` (the block's own layout, from `TransformerBlockWeights.zeros(like:)`);
    /// nil means the block is frozen and only the input gradient is computed.
    public func backward(_ dout: [Float], _ a: BlockActivations, heads: Int, causal: Bool, activation: Activation,
                         gradients g: inout TransformerBlockWeights?) -> [Float] {
        let n = a.batch * a.tokens, c = width, hidden = fc1.outFeatures
        func zeros(_ k: Int) -> [Float] { [Float](repeating: 0, count: k) }
        var dactivated = zeros(n * hidden)
        Self.linearBackward(dout: dout, inp: a.activated, layer: fc2, dinp: &dactivated, gradient: &g, \.fc2, rows: n)
        var dfc = zeros(n * hidden)
        activation.backward(dy: dactivated, x: a.fc, dx: &dfc, vectorised: fc1.precision == .bf16)
        var dln2 = zeros(n * c)
        Self.linearBackward(dout: dfc, inp: a.ln2, layer: fc1, dinp: &dln2, gradient: &g, \.fc1, rows: n)
        var dresidual = dout
        Self.layerNormBackward(dy: dln2, x: a.residual, mean: a.ln2Mean, rstd: a.ln2Rstd, layer: ln2, dx: &dresidual,
                               gradient: &g, \.ln2, rows: n)
        var dattention = zeros(n * c)
        Self.linearBackward(dout: dresidual, inp: a.attention, layer: out, dinp: &dattention, gradient: &g, \.out, rows: n)
        var dqkv = zeros(n * 3 * c)
        attentionBackward(dout: dattention, qkv: a.qkv, att: a.probabilities, dqkv: &dqkv, batch: a.batch, T: a.tokens,
                          C: c, heads: heads, causal: causal)
        var dln1 = zeros(n * c)
        Self.linearBackward(dout: dqkv, inp: a.ln1, layer: qkv, dinp: &dln1, gradient: &g, \.qkv, rows: n)
        var dx = dresidual
        Self.layerNormBackward(dy: dln1, x: a.input, mean: a.ln1Mean, rstd: a.ln1Rstd, layer: ln1, dx: &dx,
                               gradient: &g, \.ln1, rows: n)
        return dx
    }

    /// A block of zeros shaped like `block`: the layout gradients accumulate in.
    public static func zeros(like block: TransformerBlockWeights) -> TransformerBlockWeights {
        func z(_ l: LinearWeights) -> LinearWeights {
            LinearWeights(weight: [Float](repeating: 0, count: l.weight.count), bias: l.bias.map { [Float](repeating: 0, count: $0.count) },
                          inFeatures: l.inFeatures, outFeatures: l.outFeatures)
        }
        func z(_ l: LayerNormWeights) -> LayerNormWeights {
            LayerNormWeights(weight: [Float](repeating: 0, count: l.weight.count), bias: [Float](repeating: 0, count: l.bias.count))
        }
        return TransformerBlockWeights(ln1: z(block.ln1), qkv: z(block.qkv), out: z(block.out), ln2: z(block.ln2),
                                       fc1: z(block.fc1), fc2: z(block.fc2))
    }

    /// `matmulBackward` for one of the block's linear layers, its gradients (if any) in `g[keyPath:]`.
    private static func linearBackward(dout: [Float], inp: [Float], layer: LinearWeights, dinp: inout [Float],
                                       gradient g: inout TransformerBlockWeights?,
                                       _ path: WritableKeyPath<TransformerBlockWeights, LinearWeights>, rows: Int) {
        if layer.bf16Transposed != nil {   // a frozen bf16 block: the input gradient only
            precondition(g == nil, "a bf16 block is frozen: it has no weight gradients")
            dout.withUnsafeBufferPointer { dy in
                dinp.withUnsafeMutableBufferPointer { dx in layer.backwardInput(dout: dy.baseAddress!, dinp: dx.baseAddress!, rows: rows) }
            }
            return
        }
        var dweight: [Float]? = nil, dbias: [Float]? = nil
        if g != nil {  // move the buffers out so that the kernel accumulates without a copy
            dweight = g![keyPath: path].weight; g![keyPath: path].weight = []
            dbias = g![keyPath: path].bias; g![keyPath: path].bias = nil
        }
        matmulBackward(dout: dout, inp: inp, weight: layer.weight, dinp: &dinp, dweight: &dweight, dbias: &dbias,
                       N: rows, C: layer.inFeatures, OC: layer.outFeatures)
        if g != nil {
            g![keyPath: path].weight = dweight!
            g![keyPath: path].bias = dbias
        }
    }

    /// `layerNormBackward` for one of the block's LayerNorms, its gradients (if any) in `g[keyPath:]`.
    private static func layerNormBackward(dy: [Float], x: [Float], mean: [Float], rstd: [Float], layer: LayerNormWeights,
                                          dx: inout [Float], gradient g: inout TransformerBlockWeights?,
                                          _ path: WritableKeyPath<TransformerBlockWeights, LayerNormWeights>, rows: Int) {
        let c = layer.weight.count
        guard g != nil else {   // frozen: the input gradient only, the same bits
            Math.layerNormBackwardInput(dy: dy, x: x, mean: mean, rstd: rstd, weight: layer.weight, dx: &dx, N: rows, C: c)
            return
        }
        // Move the buffers out so that the kernel accumulates without a copy.
        var dweight = g![keyPath: path].weight, dbias = g![keyPath: path].bias
        g![keyPath: path].weight = []; g![keyPath: path].bias = []
        Math.layerNormBackward(dy: dy, x: x, mean: mean, rstd: rstd, weight: layer.weight, dx: &dx, dweight: &dweight,
                               dbias: &dbias, N: rows, C: c)
        g![keyPath: path].weight = dweight
        g![keyPath: path].bias = dbias
    }

    /// MaskCLIP's last block, value path only (no query-key attention), in place on `x`:
    /// v = ln_1(x) W_vᵀ + b_v;  x = x + out_proj(v);  x = x + fc2(act(fc1(ln_2(x))))
    func valuePathForward(x: UnsafeMutablePointer<Float>, rows: Int, activation: Activation, eps: Float,
                          workspace ws: TransformerWorkspace) {
        let c = width
        ws.profile.measure(.layerNorm, flops: ln1.flops(rows: rows)) {
            ln1.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        }
        // W_v and b_v are the last C rows of the fused [3C, C] projection.
        ws.profile.measure(.qkvProjection, flops: qkv.flops(rows: rows, outputs: c)) {
            qkv.forward(out: ws.attended, inp: ws.normed, rows: rows, outputs: (2 * c)..<(3 * c))
        }
        outProjectionAndResidual(x: x, rows: rows, workspace: ws)
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
        outProjectionAndResidual(x: x, rows: 1, workspace: ws)
        mlpForward(x: x, rows: 1, activation: activation, eps: eps, workspace: ws)
    }

    /// x = x + out_proj(ws.attended) over `rows` rows.
    private func outProjectionAndResidual(x: UnsafeMutablePointer<Float>, rows: Int, workspace ws: TransformerWorkspace) {
        ws.profile.measure(.outProjection, flops: out.flops(rows: rows)) {
            out.forward(out: ws.projected, inp: ws.attended, rows: rows)
        }
        residual(x: x, rows: rows, workspace: ws)
    }

    /// x = x + fc2(act(fc1(ln_2(x)))) over `rows` rows.
    private func mlpForward(x: UnsafeMutablePointer<Float>, rows: Int, activation: Activation, eps: Float,
                            workspace ws: TransformerWorkspace) {
        let hidden = rows * fc1.outFeatures
        ws.profile.measure(.layerNorm, flops: ln2.flops(rows: rows)) {
            ln2.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        }
        ws.profile.measure(.fc1, flops: fc1.flops(rows: rows)) {
            fc1.forward(out: ws.hidden, inp: ws.normed, rows: rows)
        }
        ws.profile.measure(.activation, flops: ForwardProfile.Operation.flopsPerElement[.activation]! * Double(hidden)) {
            activation.forward(ws.hidden, count: hidden)
        }
        ws.profile.measure(.fc2, flops: fc2.flops(rows: rows)) {
            fc2.forward(out: ws.projected, inp: ws.hidden, rows: rows)
        }
        residual(x: x, rows: rows, workspace: ws)
    }

    /// x += ws.projected over `rows` rows.
    private func residual(x: UnsafeMutablePointer<Float>, rows: Int, workspace ws: TransformerWorkspace) {
        ws.profile.measure(.residual, flops: ForwardProfile.Operation.flopsPerElement[.residual]! * Double(rows * width)) {
            residualForward(out: x, a: x, b: ws.projected, count: rows * width)
        }
    }

}
