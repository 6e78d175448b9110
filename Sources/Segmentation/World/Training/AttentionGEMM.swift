import Foundation
import CBLAS

// Multi-head self-attention of one sequence through matrix products (the same maths as
// Math's `attentionForward`, an order of magnitude faster at the 145 tokens of a ViT):
// per head h, with Q, K, V the [T, hs] column blocks of qkv [T, 3C] (row stride 3C),
//   S = Q K^T / sqrt(hs);  P = softmax_rows(S) (masked to s <= t when causal);  O = P V
/// Forward of one sequence: writes `out` [T, C] and the probabilities `probs` [NH, T, T].
func gemmAttentionForward(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                          probs: UnsafeMutablePointer<Float>, T: Int, C: Int, heads NH: Int, causal: Bool) {
    let hs = C / NH, C3 = 3 * C, scale = 1 / Float(hs).squareRoot()
    for h in 0..<NH {
        let q = qkv + h * hs, k = qkv + C + h * hs, v = qkv + 2 * C + h * hs
        let p = probs + h * T * T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
                    scale, q, Int32(C3), k, Int32(C3), 0, p, Int32(T))
        for t in 0..<T {
            let row = p + t * T
            let last = causal ? t : T - 1
            var m = -Float.infinity
            for s in 0...last { m = max(m, row[s]) }
            var sum: Float = 0
            for s in 0...last { let e = expf(row[s] - m); row[s] = e; sum += e }
            let inv = 1 / sum
            for s in 0...last { row[s] *= inv }
            if last + 1 < T { for s in (last + 1)..<T { row[s] = 0 } }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                    1, p, Int32(T), v, Int32(C3), 0, out + h * hs, Int32(C))
    }
}

// Backward, per head:
//   dP = dO V^T;  dV = P^T dO;  dS = P * (dP - rowsum(P * dP));  dQ = dS K / sqrt(hs);  dK = dS^T Q / sqrt(hs)
// (masked entries have P = 0, so they contribute nothing.)
/// Gradient of `gemmAttentionForward` with respect to qkv, accumulated into `dqkv` [T, 3C].
/// `scratch` holds T*T floats.
func gemmAttentionBackward(dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                           dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           T: Int, C: Int, heads NH: Int) {
    let hs = C / NH, C3 = 3 * C, scale = 1 / Float(hs).squareRoot()
    for h in 0..<NH {
        let q = qkv + h * hs, k = qkv + C + h * hs, v = qkv + 2 * C + h * hs
        let dq = dqkv + h * hs, dk = dqkv + C + h * hs, dv = dqkv + 2 * C + h * hs
        let p = probs + h * T * T, d = dout + h * hs
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
                    1, d, Int32(C), v, Int32(C3), 0, scratch, Int32(T))
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                    1, p, Int32(T), d, Int32(C), 1, dv, Int32(C3))
        for t in 0..<T {
            let pr = p + t * T, dr = scratch + t * T
            var dot: Float = 0
            for s in 0..<T { dot += pr[s] * dr[s] }
            for s in 0..<T { dr[s] = pr[s] * (dr[s] - dot) }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                    scale, scratch, Int32(T), k, Int32(C3), 1, dq, Int32(C3))
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
                    scale, scratch, Int32(T), q, Int32(C3), 1, dk, Int32(C3))
    }
}
