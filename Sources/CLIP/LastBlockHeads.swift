import Foundation
import Math

/// What a dense head does in the ViT's last block (see `DenseHead`; notes in docs/engine.md).
/// q, k, v come from ln_1(x) and the fused in-projection, split into heads of d channels,
/// s = 1/√d, and o = out_proj(concat_h(A_h v_h)) with the out-projection bias.
enum LastBlockVariant: Sendable, Equatable {
    /// MaskCLIP: o = out_proj(v), no attention.
    case valuePath
    /// SCLIP: A = softmax(q qᵀ s) + softmax(k kᵀ s), the sum not renormalised.
    case sclip
    /// ClearCLIP as its paper and demo.py: A = softmax(q qᵀ s).
    case queryQuery
    /// ClearCLIP as its committed config runs it ('vanilla'): A = softmax(q kᵀ s).
    case queryKey
    /// NACLIP: A = softmax(k kᵀ s + Ω), Ω the Gaussian neighbourhood of `naclipAttentionAddition`.
    case naclip(sigma: Float)

    /// MaskCLIP and SCLIP keep the residual and the MLP (x' = x + o, x'' = x' + mlp(ln_2(x')));
    /// ClearCLIP and NACLIP feed o itself to ln_post.
    var keepsResidualAndMLP: Bool {
        switch self {
        case .valuePath, .sclip: return true
        case .queryQuery, .queryKey, .naclip: return false
        }
    }
}

/// NACLIP's attention addition Ω [L, L] for an h x w patch grid (L = 1 + h·w, class token
/// first): Ω[1+i, 1+j] = exp(-((y_i - y_j)² + (x_i - x_j)²) / (2σ²)) for patches i, j in
/// row-major order (NACLIP's `gaussian_window` is not normalised: 1 at distance 0), and 0 in the
/// class token's row and column (`adjust_for_cls`). The grid is the current input's.
public func naclipAttentionAddition(gridHeight h: Int, gridWidth w: Int, sigma: Float = 5) -> [Float] {
    let n = h * w, L = n + 1
    var omega = [Float](repeating: 0, count: L * L)
    let denominator = 2 * Double(sigma) * Double(sigma)
    // Values depend on the offset only: one table of (2h-1) x (2w-1).
    var table = [Float](repeating: 0, count: (2 * h - 1) * (2 * w - 1))
    for dy in -(h - 1)...(h - 1) {
        for dx in -(w - 1)...(w - 1) {
            table[(dy + h - 1) * (2 * w - 1) + dx + w - 1] = Float(exp(-Double(dy * dy + dx * dx) / denominator))
        }
    }
    for i in 0..<n {
        let (yi, xi) = (i / w, i % w)
        let row = (1 + i) * L + 1
        for j in 0..<n {
            omega[row + j] = table[(yi - j / w + h - 1) * (2 * w - 1) + xi - j % w + w - 1]
        }
    }
    return omega
}

extension TransformerBlockWeights {
    /// The last block of a dense head, in place on the residual stream `x` [rows, C] (class
    /// token first): afterwards `x` holds what goes into ln_post (x'' for MaskCLIP and SCLIP, o
    /// for ClearCLIP and NACLIP). `addition` is NACLIP's Ω [rows, rows].
    func headForward(x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, variant: LastBlockVariant,
                     addition: [Float]?, activation: Activation, eps: Float, workspace ws: TransformerWorkspace) {
        let c = width
        if variant == .valuePath {
            valuePathForward(x: x, rows: rows, activation: activation, eps: eps, workspace: ws)
            return
        }
        ln1.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
        qkv.forward(out: ws.qkv, inp: ws.normed, rows: rows)
        let q = UnsafePointer(ws.qkv), k = UnsafePointer(ws.qkv + c), v = UnsafePointer(ws.qkv + 2 * c)
        func attend(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            attentionForward(out: out, probs: nil, q: a, k: b, v: v, rowStride: 3 * c, batch: 1, tokens: rows,
                             channels: c, heads: heads, causal: false)
        }
        switch variant {
        case .valuePath: break
        case .sclip:
            attend(q, q, into: ws.attended)
            attend(k, k, into: ws.projected)
            residualForward(out: ws.attended, a: ws.attended, b: ws.projected, count: rows * c)
        case .queryQuery: attend(q, q, into: ws.attended)
        case .queryKey: attend(q, k, into: ws.attended)
        case .naclip:
            guard let addition, addition.count == rows * rows else {
                preconditionFailure("NACLIP needs an attention addition of \(rows) x \(rows)")
            }
            addition.withUnsafeBufferPointer { omega in
                additiveAttentionForward(out: ws.attended, a: k, b: k, v: v, addition: omega.baseAddress!,
                                         rowStride: 3 * c, tokens: rows, channels: c, heads: heads)
            }
        }
        out.forward(out: ws.projected, inp: ws.attended, rows: rows)
        if variant.keepsResidualAndMLP {
            residualForward(out: x, a: x, b: ws.projected, count: rows * c)
            ln2.forward(out: ws.normed, inp: x, rows: rows, eps: eps)
            fc1.forward(out: ws.hidden, inp: ws.normed, rows: rows)
            activation.forward(ws.hidden, count: rows * fc1.outFeatures)
            fc2.forward(out: ws.projected, inp: ws.hidden, rows: rows)
            residualForward(out: x, a: x, b: ws.projected, count: rows * c)
        } else {
            x.update(from: ws.projected, count: rows * c)
        }
    }
}

/// Attention with an additive score term shared by the heads:
/// out[t, h] = Σ_s softmax_s(a_h[t]·b_h[s] / √d + addition[t, s]) v_h[s], over `tokens` rows of
/// `a`, `b`, `v` (row stride `rowStride`, head h in columns h·d ..< (h+1)·d); `out` is
/// [tokens, channels]. Heads run in parallel, queries in blocks so the scores stay in cache.
func additiveAttentionForward(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                              v: UnsafePointer<Float>, addition: UnsafePointer<Float>, rowStride: Int,
                              tokens t: Int, channels: Int, heads: Int) {
    precondition(heads > 0 && channels % heads == 0, "channels \(channels) not divisible by heads \(heads)")
    let d = channels / heads
    let scale = 1 / Float(d).squareRoot()
    let block = min(t, 128)
    parallelRanges(heads) { range in
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: block * t)
        defer { scores.deallocate() }
        for h in range {
            var start = 0
            while start < t {
                let m = min(block, t - start)
                gemm(transposeA: false, transposeB: true, m: m, n: t, k: d, alpha: scale,
                     a: a + start * rowStride + h * d, lda: rowStride, b: b + h * d, ldb: rowStride, c: scores, ldc: t)
                residualForward(out: scores, a: scores, b: addition + start * t, count: m * t)
                softmaxForward(out: scores, inp: scores, rows: m, columns: t)
                gemm(transposeA: false, transposeB: false, m: m, n: d, k: t,
                     a: scores, lda: t, b: v + h * d, ldb: rowStride, c: out + start * channels + h * d, ldc: channels)
                start += m
            }
        }
    }
}
