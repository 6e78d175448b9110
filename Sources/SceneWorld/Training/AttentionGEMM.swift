import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

// Backward of multi-head self-attention for one sequence through matrix products (the maths
// of Math's `attentionBackward`, several times faster at the 145 tokens of a ViT): per head
// h, with Q, K, V the [T, hs] column blocks of qkv [T, 3C] (row stride 3C), P the forward's
// probabilities and dO the output gradient,
//   dP = dO V^T;  dV = P^T dO;  dS = P * (dP - rowsum(P * dP));  dQ = dS K / sqrt(hs);  dK = dS^T Q / sqrt(hs)
// (masked entries have P = 0 and so contribute nothing).
/// Gradient of `attentionForward` for one sequence with respect to qkv, accumulated into
/// `dqkv` [T, 3C]. `scratch` holds T*T floats.
func gemmAttentionBackward(dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                           dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           T: Int, C: Int, heads NH: Int) {
    let hs = C / NH, C3 = 3 * C, scale = 1 / Float(hs).squareRoot()
    for h in 0..<NH {
        let q = qkv + h * hs, k = qkv + C + h * hs, v = qkv + 2 * C + h * hs
        let dq = dqkv + h * hs, dk = dqkv + C + h * hs, dv = dqkv + 2 * C + h * hs
        let p = probs + h * T * T, d = dout + h * hs
        gemm(transposeA: false, transposeB: true, m: T, n: T, k: hs, a: d, lda: C, b: v, ldb: C3, c: scratch, ldc: T)
        gemm(transposeA: true, transposeB: false, m: T, n: hs, k: T, a: p, lda: T, b: d, ldb: C, beta: 1, c: dv, ldc: C3)
        for t in 0..<T {
            let pr = p + t * T, dr = scratch + t * T
            var dot: Float = 0
            for s in 0..<T { dot += pr[s] * dr[s] }
            for s in 0..<T { dr[s] = pr[s] * (dr[s] - dot) }
        }
        gemm(transposeA: false, transposeB: false, m: T, n: hs, k: T, alpha: scale, a: scratch, lda: T, b: k, ldb: C3,
             beta: 1, c: dq, ldc: C3)
        gemm(transposeA: true, transposeB: false, m: T, n: hs, k: T, alpha: scale, a: scratch, lda: T, b: q, ldb: C3,
             beta: 1, c: dk, ldc: C3)
    }
}
