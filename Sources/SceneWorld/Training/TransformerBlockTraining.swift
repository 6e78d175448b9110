import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Where one pre-LayerNorm residual block's tensors sit in a `ParameterSet`.
struct BlockParameters {
    let ln1Weight, ln1Bias, qkvWeight, qkvBias, outWeight, outBias: Int
    let ln2Weight, ln2Bias, fcWeight, fcBias, projWeight, projBias: Int

    init(_ p: ParameterSet, prefix: String) {
        ln1Weight = p.index(prefix + "ln_1.weight"); ln1Bias = p.index(prefix + "ln_1.bias")
        qkvWeight = p.index(prefix + "attn.in_proj_weight"); qkvBias = p.index(prefix + "attn.in_proj_bias")
        outWeight = p.index(prefix + "attn.out_proj.weight"); outBias = p.index(prefix + "attn.out_proj.bias")
        ln2Weight = p.index(prefix + "ln_2.weight"); ln2Bias = p.index(prefix + "ln_2.bias")
        fcWeight = p.index(prefix + "mlp.c_fc.weight"); fcBias = p.index(prefix + "mlp.c_fc.bias")
        projWeight = p.index(prefix + "mlp.c_proj.weight"); projBias = p.index(prefix + "mlp.c_proj.bias")
    }
}

/// What a block's backward pass needs from its forward pass.
struct BlockActivations {
    var input: [Float]
    var ln1: (y: [Float], mean: [Float], rstd: [Float])
    var qkv: [Float]
    var attention: [Float]      // attention output, [B*T, C]
    var probabilities: [Float]  // [B, NH, T, T]
    var residual: [Float]       // x + attention projection
    var ln2: (y: [Float], mean: [Float], rstd: [Float])
    var fc: [Float]             // pre-activation, [B*T, 4C]
    var gelu: [Float]
}

/// The sizes of one block call: B sequences of T tokens, width C, NH heads.
struct BlockShape {
    let B: Int, T: Int, C: Int, heads: Int, causal: Bool
    var rows: Int { B * T }
}

// Pre-LayerNorm residual block (CLIP's ResidualAttentionBlock):
//   x2  = x + out_proj(attention(in_proj(ln_1(x))))
//   out = x2 + c_proj(quickgelu(c_fc(ln_2(x2))))
/// Forward of one block over `B` sequences; returns the output and the activations kept
/// for the backward.
func transformerBlockForward(_ x: [Float], _ p: ParameterSet, _ ix: BlockParameters, _ s: BlockShape)
    -> (out: [Float], cache: BlockActivations) {
    let N = s.rows, C = s.C
    let ln1 = layerNormForward(x, weight: p[ix.ln1Weight], bias: p[ix.ln1Bias], N: N, C: C)
    let qkv = matmulForward(ln1.y, weight: p[ix.qkvWeight], bias: p[ix.qkvBias], N: N, C: C, OC: 3 * C)
    let (attention, probabilities) = attentionForward(qkv, batch: s.B, T: s.T, C: C, heads: s.heads, causal: s.causal)
    let projected = matmulForward(attention, weight: p[ix.outWeight], bias: p[ix.outBias], N: N, C: C, OC: C)
    var residual = x
    for i in 0..<residual.count { residual[i] += projected[i] }
    let ln2 = layerNormForward(residual, weight: p[ix.ln2Weight], bias: p[ix.ln2Bias], N: N, C: C)
    let fc = matmulForward(ln2.y, weight: p[ix.fcWeight], bias: p[ix.fcBias], N: N, C: C, OC: 4 * C)
    let gelu = quickGELUForward(fc)
    var out = matmulForward(gelu, weight: p[ix.projWeight], bias: p[ix.projBias], N: N, C: 4 * C, OC: C)
    for i in 0..<out.count { out[i] += residual[i] }
    return (out, BlockActivations(input: x, ln1: ln1, qkv: qkv, attention: attention, probabilities: probabilities,
                                  residual: residual, ln2: ln2, fc: fc, gelu: gelu))
}

/// Accumulates `linearBackward`'s weight and bias gradients into `grads` at `w` and `b`.
func matmulBackwardInto(_ grads: inout ParameterSet, w: Int, b: Int, dout: [Float], inp: [Float],
                        weight: [Float], dinp: inout [Float], N: Int, C: Int, OC: Int) {
    var dweight: [Float]? = grads.values[w]
    var dbias: [Float]? = grads.values[b]
    grads.values[w] = []
    grads.values[b] = []
    matmulBackward(dout: dout, inp: inp, weight: weight, dinp: &dinp, dweight: &dweight, dbias: &dbias, N: N, C: C, OC: OC)
    grads.values[w] = dweight!
    grads.values[b] = dbias!
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

// Backward of the block, in reverse: MLP branch, ln_2, residual, attention branch, ln_1.
//   dx2 = dout + ln_2^T(c_fc^T(gelu'(c_proj^T dout)));  dx = dx2 + ln_1^T(in_proj^T(attn^T(out_proj^T dx2)))
/// Gradient of `transformerBlockForward` with respect to its input; parameter gradients
/// are accumulated into `grads`.
func transformerBlockBackward(_ dout: [Float], _ a: BlockActivations, _ p: ParameterSet, _ ix: BlockParameters,
                              _ s: BlockShape, _ grads: inout ParameterSet) -> [Float] {
    let N = s.rows, C = s.C
    var dgelu = [Float](repeating: 0, count: N * 4 * C)
    matmulBackwardInto(&grads, w: ix.projWeight, b: ix.projBias, dout: dout, inp: a.gelu, weight: p[ix.projWeight],
                       dinp: &dgelu, N: N, C: 4 * C, OC: C)
    var dfc = [Float](repeating: 0, count: N * 4 * C)
    quickGELUBackward(dy: dgelu, x: a.fc, dx: &dfc)
    var dln2 = [Float](repeating: 0, count: N * C)
    matmulBackwardInto(&grads, w: ix.fcWeight, b: ix.fcBias, dout: dfc, inp: a.ln2.y, weight: p[ix.fcWeight],
                       dinp: &dln2, N: N, C: C, OC: 4 * C)
    var dresidual = dout
    layerNormBackwardInto(&grads, w: ix.ln2Weight, b: ix.ln2Bias, dy: dln2, x: a.residual, cache: a.ln2,
                          weight: p[ix.ln2Weight], dx: &dresidual, N: N, C: C)
    var dattention = [Float](repeating: 0, count: N * C)
    matmulBackwardInto(&grads, w: ix.outWeight, b: ix.outBias, dout: dresidual, inp: a.attention, weight: p[ix.outWeight],
                       dinp: &dattention, N: N, C: C, OC: C)
    var dqkv = [Float](repeating: 0, count: N * 3 * C)
    let perSeq = s.T * 3 * C, perOut = s.T * C, perProb = s.heads * s.T * s.T
    // Sequences in parallel; each worker's small products stay on its own thread.
    dqkv.withUnsafeMutableBufferPointer { dBuffer in
        dattention.withUnsafeBufferPointer { dOutBuffer in
            a.qkv.withUnsafeBufferPointer { qkvBuffer in
                a.probabilities.withUnsafeBufferPointer { probBuffer in
                    let dBase = dBuffer.baseAddress!, dOutBase = dOutBuffer.baseAddress!
                    let qkvBase = qkvBuffer.baseAddress!, probBase = probBuffer.baseAddress!
                    parallelRanges(s.B) { range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: s.T * s.T)
                        defer { scratch.deallocate() }
                        for b in range {
                            gemmAttentionBackward(dout: dOutBase + b * perOut, qkv: qkvBase + b * perSeq,
                                                  probs: probBase + b * perProb, dqkv: dBase + b * perSeq,
                                                  scratch: scratch, T: s.T, C: C, heads: s.heads)
                        }
                    }
                }
            }
        }
    }
    var dln1 = [Float](repeating: 0, count: N * C)
    matmulBackwardInto(&grads, w: ix.qkvWeight, b: ix.qkvBias, dout: dqkv, inp: a.ln1.y, weight: p[ix.qkvWeight],
                       dinp: &dln1, N: N, C: C, OC: 3 * C)
    var dx = dresidual
    layerNormBackwardInto(&grads, w: ix.ln1Weight, b: ix.ln1Bias, dy: dln1, x: a.input, cache: a.ln1,
                          weight: p[ix.ln1Weight], dx: &dx, N: N, C: C)
    return dx
}
