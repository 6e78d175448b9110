import Foundation

// Multi-head self-attention over T positions, width C = NH * hs, from a fused projection
// qkv[T, 3C] (q | k | v, as PyTorch's in_proj). Optional causal mask (CLIP's text tower).
//   att[h, t, s] = softmax_s( q[t,h] . k[s,h] / sqrt(hs) )   (s <= t when causal)
//   out[t, h*hs + i] = sum_s att[h, t, s] * v[s, h, i]

/// Self-attention; returns `(out [T, C], att [NH, T, T])`, the probabilities being what the
/// backward needs.
public func attentionForward(_ qkv: [Float], T: Int, C: Int, heads NH: Int, causal: Bool)
    -> (out: [Float], att: [Float]) {
    let hs = C / NH, scale = 1 / Float(hs).squareRoot(), C3 = 3 * C
    var out = [Float](repeating: 0, count: T * C)
    var att = [Float](repeating: 0, count: NH * T * T)
    for h in 0..<NH {
        for t in 0..<T {
            let last = causal ? t : T - 1
            let q = t * C3 + h * hs
            var maxv = -Float.infinity
            for s in 0...last {
                let k = s * C3 + C + h * hs
                var d: Float = 0
                for i in 0..<hs { d += qkv[q + i] * qkv[k + i] }
                d *= scale
                att[(h * T + t) * T + s] = d
                maxv = max(maxv, d)
            }
            var sum: Float = 0
            for s in 0...last {
                let e = expf(att[(h * T + t) * T + s] - maxv)
                att[(h * T + t) * T + s] = e
                sum += e
            }
            for s in 0...last { att[(h * T + t) * T + s] /= sum }
            let o = t * C + h * hs
            for s in 0...last {
                let a = att[(h * T + t) * T + s]
                let v = s * C3 + 2 * C + h * hs
                for i in 0..<hs { out[o + i] += a * qkv[v + i] }
            }
        }
    }
    return (out, att)
}

// Backward (llm.c attention_backward):
//   datt[t,s]   = dout[t] . v[s];          dv[s] += att[t,s] * dout[t]
//   dpre[t,s]   = att[t,s] * (datt[t,s] - sum_u att[t,u] datt[t,u])
//   dq[t] += sum_s dpre[t,s] k[s] / sqrt(hs);  dk[s] += dpre[t,s] q[t] / sqrt(hs)
/// Gradient of `attentionForward` with respect to `qkv` (accumulated into `dqkv`).
public func attentionBackward(dout: [Float], qkv: [Float], att: [Float], dqkv: inout [Float],
                              T: Int, C: Int, heads NH: Int, causal: Bool) {
    let hs = C / NH, scale = 1 / Float(hs).squareRoot(), C3 = 3 * C
    var datt = [Float](repeating: 0, count: T)
    for h in 0..<NH {
        for t in 0..<T {
            let last = causal ? t : T - 1
            let o = t * C + h * hs
            var dot: Float = 0
            for s in 0...last {
                let v = s * C3 + 2 * C + h * hs
                let a = att[(h * T + t) * T + s]
                var d: Float = 0
                for i in 0..<hs {
                    d += dout[o + i] * qkv[v + i]
                    dqkv[v + i] += a * dout[o + i]
                }
                datt[s] = d
                dot += a * d
            }
            let q = t * C3 + h * hs
            for s in 0...last {
                let dpre = att[(h * T + t) * T + s] * (datt[s] - dot) * scale
                let k = s * C3 + C + h * hs
                for i in 0..<hs {
                    dqkv[q + i] += dpre * qkv[k + i]
                    dqkv[k + i] += dpre * qkv[q + i]
                }
            }
        }
    }
}
