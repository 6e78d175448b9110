import Math
import CLIP

/// The small CLIP's residual blocks are the engine's own `TransformerBlockWeights`, viewed
/// over the tensors of a `ParameterSet` (arrays are shared, not copied), so that training,
/// inference and rectifier training run one block implementation.
extension MiniCLIP {
    /// The tensor names of one block, in `TransformerBlockWeights` order.
    static func blockNames(_ prefix: String) -> [String] {
        ["ln_1.weight", "ln_1.bias", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
         "attn.out_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
         "mlp.c_proj.weight", "mlp.c_proj.bias"].map { prefix + $0 }
    }

    /// Block `prefix` of `set` (parameters or gradients) as the engine's block type.
    static func block(_ set: ParameterSet, prefix: String, width c: Int) -> TransformerBlockWeights {
        let t = blockNames(prefix).map { set[$0] }
        return block(t, width: c)
    }

    static func block(_ t: [[Float]], width c: Int) -> TransformerBlockWeights {
        TransformerBlockWeights(
            ln1: LayerNormWeights(weight: t[0], bias: t[1]),
            qkv: LinearWeights(weight: t[2], bias: t[3], inFeatures: c, outFeatures: 3 * c),
            out: LinearWeights(weight: t[4], bias: t[5], inFeatures: c, outFeatures: c),
            ln2: LayerNormWeights(weight: t[6], bias: t[7]),
            fc1: LinearWeights(weight: t[8], bias: t[9], inFeatures: c, outFeatures: t[9].count),
            fc2: LinearWeights(weight: t[10], bias: t[11], inFeatures: t[9].count, outFeatures: c))
    }

    /// Backward through block `prefix`: returns the input gradient and accumulates the block's
    /// parameter gradients into `grads` (its buffers are moved out and back, not copied).
    static func blockBackward(_ dout: [Float], _ cache: BlockActivations, _ parameters: ParameterSet,
                              _ grads: inout ParameterSet, prefix: String, width c: Int, heads: Int,
                              causal: Bool) -> [Float] {
        let indices = blockNames(prefix).map { grads.index($0) }
        var taken: [[Float]] = []
        for i in indices { taken.append(grads.values[i]); grads.values[i] = [] }
        var g: TransformerBlockWeights? = block(taken, width: c)
        taken = []
        let dx = block(parameters, prefix: prefix, width: c)
            .backward(dout, cache, heads: heads, causal: causal, activation: .quickGELU, gradients: &g)
        let back = [g!.ln1.weight, g!.ln1.bias, g!.qkv.weight, g!.qkv.bias!, g!.out.weight, g!.out.bias!,
                    g!.ln2.weight, g!.ln2.bias, g!.fc1.weight, g!.fc1.bias!, g!.fc2.weight, g!.fc2.bias!]
        g = nil
        for (i, v) in zip(indices, back) { grads.values[i] = v }
        return dx
    }
}

/// Accumulates `layerNormBackward`'s gradients into `grads` at `w` and `b`.
func layerNormBackwardInto(_ grads: inout ParameterSet, w: Int, b: Int, dy: [Float], x: [Float],
                           cache: (y: [Float], mean: [Float], rstd: [Float]), weight: [Float],
                           dx: inout [Float], N: Int, C: Int) {
    var dweight = grads.values[w], dbias = grads.values[b]
    grads.values[w] = []
    grads.values[b] = []
    layerNormBackward(dy: dy, x: x, mean: cache.mean, rstd: cache.rstd, weight: weight,
                      dx: &dx, dweight: &dweight, dbias: &dbias, N: N, C: C)
    grads.values[w] = dweight
    grads.values[b] = dbias
}
