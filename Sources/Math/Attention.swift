/// Multi-head scaled dot-product attention over `batch` sequences of `tokens` tokens each.
///
/// Token t of sequence b is row `b * tokens + t` of q, k and v, whose consecutive rows are
/// `rowStride` floats apart (3C for a fused qkv buffer [B*T, 3C] with q, k, v at column 0, C,
/// 2C, as PyTorch's `in_proj` lays them out; C for separate buffers). Head h owns columns
/// h*d ..< (h+1)*d, d = channels / heads.
///
/// For every sequence b and head h:
/// S[t, s] = (q[t] · k[s]) / √d                          (s ≤ t only when `causal`)
/// P[t, s] = exp(S[t, s] - max_s S[t]) / Σ_s exp(...)     (P[t, s] = 0 for masked s)
/// out[t, h*d + j] = Σ_s P[t, s] v[s, h*d + j]
///
/// `out` is [B*T, C] (row stride C). `probs`, when given, receives P as [B, H, T, T] for the
/// backward pass. Work is spread over (sequence, head) pairs across the cores.
///
/// With `precision` bf16, the inference path (no `probs`, not causal) runs both products in
/// bf16 with float32 accumulation: each head's k and v are rounded and packed once
/// (`BF16Matrix`), q and the unnormalised weights e are rounded on the fly; the softmax and the
/// normalisation stay float32. With `probs` and `causal` (a bf16 text tower that gradients pass
/// through), bf16 means speed over order: the float32 products run as matrix products over the
/// full square, masked by the softmax, instead of causalRowForward's ordered row sums (which keep
/// the fp32 tower's end-of-text read exact). The other paths are float32 whatever `precision` says.
///
/// `profile`, when given, receives the inference path's (no `probs`, not causal) three steps:
/// `.attentionScores`, `.softmax` (with the output rows' normalisation) and `.attentionValues`,
/// the call's wall time split in proportion to the time the workers spent in each. Other paths
/// record nothing.
public func attentionForward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                             q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             rowStride: Int, batch: Int, tokens: Int, channels: Int, heads: Int,
                             causal: Bool, precision: Precision = .fp32, profile: ForwardProfile? = nil) {
    precondition(heads > 0 && channels % heads == 0, "channels \(channels) not divisible by heads \(heads)")
    let d = channels / heads
    let scale = 1 / Float(d).squareRoot()
    let t = tokens
    let steps = profile != nil && probs == nil && !causal ? AttentionStepTimes(tasks: batch * heads) : nil
    defer {
        if let steps, let profile {
            let scores = 2 * Double(batch) * Double(t) * Double(t) * Double(channels)
            steps.record(into: profile, flops: (scores: scores, softmax: 4 * Double(batch * heads) * Double(t) * Double(t)
                                                    + Double(batch * t * channels), values: scores))
        }
    }
    // Heads run in parallel on the cores; the GEMMs inside a worker stay on its thread.
    // Without a probability cache, queries are processed in blocks so that the block's
    // scores stay in the core's cache between the GEMM, the softmax and the second GEMM.
    let block = probs == nil ? min(t, queryBlock) : t
    parallelRanges(batch * heads) { range in
        // One score buffer per worker unless the caller keeps the probabilities.
        let scratch: UnsafeMutablePointer<Float>? =
            probs == nil ? UnsafeMutablePointer<Float>.allocate(capacity: block * t) : nil
        defer { scratch?.deallocate() }
        var sums = [Float](repeating: 0, count: block)
        for task in range {
            let b = task / heads
            let h = task % heads
            let offset = b * t * rowStride + h * d
            let o = out + b * t * channels + h * d
            if let probs {
                let p = probs + task * t * t
                if causal && precision != .bf16 {
                    causalHeadForward(out: o, probs: p, q: q + offset, k: k + offset, v: v + offset,
                                      rowStride: rowStride, outStride: channels, tokens: t, headSize: d, scale: scale)
                    continue
                }
                // Matrix products over the full square; a causal head (training through a bf16
                // tower: speed over the ordered row sums) is masked by the softmax.
                gemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: scale,
                     a: q + offset, lda: rowStride, b: k + offset, ldb: rowStride, c: p, ldc: t)
                softmaxForward(out: p, inp: p, rows: t, columns: t, validColumns: causal ? { $0 + 1 } : nil)
                gemm(transposeA: false, transposeB: false, m: t, n: d, k: t,
                     a: p, lda: t, b: v + offset, ldb: rowStride, c: o, ldc: channels)
                continue
            }
            let p = scratch!
            var lap = steps?.start(task: task)
            if causal {
                // Row i only uses row i of the scratch: a t x t buffer is not needed.
                for i in 0..<t {
                    causalRowForward(out: o + i * channels, scores: p, q: q + offset + i * rowStride, k: k + offset,
                                     v: v + offset, rowStride: rowStride, row: i, headSize: d, scale: scale)
                }
                continue
            }
            // The normalisation is applied to the output rows instead of the weights:
            // out[i] = (Σ_s e[i, s] v[s]) / Σ_s e[i, s].
            // In bf16: S = q K_hᵀ with K_h [t, d] packed as a weight (rows t), and e V_h with
            // V_hᵀ [d, t] packed as a weight (rows d).
            let keys = precision == .bf16 ? BF16Matrix(k + offset, rows: t, columns: d, rowStride: rowStride) : nil
            lap?.step(.scores)
            let values = precision == .bf16 ? BF16Matrix(transposing: v + offset, rows: d, columns: t, rowStride: rowStride) : nil
            lap?.step(.values)
            var start = 0
            while start < t {
                let m = min(block, t - start)
                if let keys {
                    gemm(m: m, k: d, alpha: scale, a: q + offset + start * rowStride, lda: rowStride, weight: keys, c: p, ldc: t)
                } else {
                    gemm(transposeA: false, transposeB: true, m: m, n: t, k: d, alpha: scale,
                         a: q + offset + start * rowStride, lda: rowStride, b: k + offset, ldb: rowStride,
                         c: p, ldc: t)
                }
                lap?.step(.scores)
                for i in 0..<m { sums[i] = 1 / unnormalisedSoftmaxRow(p + i * t, count: t) }
                lap?.step(.softmax)
                if let values {
                    gemm(m: m, k: t, a: p, lda: t, weight: values, c: o + start * channels, ldc: channels)
                } else {
                    gemm(transposeA: false, transposeB: false, m: m, n: d, k: t,
                         a: p, lda: t, b: v + offset, ldb: rowStride,
                         c: o + start * channels, ldc: channels)
                }
                lap?.step(.values)
                for i in 0..<m {
                    let row = o + (start + i) * channels
                    let inv = sums[i]
                    for j in 0..<d { row[j] *= inv }
                }
                lap?.step(.softmax)
                start += m
            }
        }
    }
}

/// Queries per block in `attentionForward` when no probabilities are kept.
let queryBlock = 128

/// Per (sequence, head) task, the seconds a worker spent in each of attention's three steps,
/// for `ForwardProfile`: each task writes only its own slots, so the workers do not race.
private final class AttentionStepTimes {
    enum Step: Int { case scores, softmax, values }

    /// A task's stopwatch: `step` adds the time since the previous lap to that step.
    struct Lap {
        let slots: UnsafeMutablePointer<Double>
        var last = ForwardProfile.now()

        mutating func step(_ step: Step) {
            let now = ForwardProfile.now()
            slots[step.rawValue] += now - last
            last = now
        }
    }

    let tasks: Int
    let seconds: UnsafeMutablePointer<Double>
    /// When the call started, for its wall time.
    let started = ForwardProfile.now()

    init(tasks: Int) {
        self.tasks = tasks
        seconds = .allocate(capacity: 3 * tasks)
        seconds.initialize(repeating: 0, count: 3 * tasks)
    }

    deinit { seconds.deallocate() }

    func start(task: Int) -> Lap { Lap(slots: seconds + 3 * task) }

    /// Records the wall time since `started`, split over the steps in proportion to the
    /// workers' summed time in each.
    func record(into profile: ForwardProfile, flops: (scores: Double, softmax: Double, values: Double)) {
        let wall = ForwardProfile.now() - started
        var sums = [0.0, 0.0, 0.0]
        for task in 0..<tasks { for s in 0..<3 { sums[s] += seconds[3 * task + s] } }
        let total = sums.reduce(0, +)
        func share(_ s: Step) -> Double { total > 0 ? wall * sums[s.rawValue] / total : wall / 3 }
        profile.record(.attentionScores, seconds: share(.scores), flops: flops.scores)
        profile.record(.softmax, seconds: share(.softmax), flops: flops.softmax)
        profile.record(.attentionValues, seconds: share(.values), flops: flops.values)
    }
}

/// One causal head with plain loops over s ≤ t only, in a fixed order, so that row t's result
/// is bit-for-bit the same whatever the sequence length (running a prompt only up to its
/// end-of-text token is exact) and half the work of the full square is skipped.
/// `probs` receives the T x T weights (zero above the diagonal).
private func causalHeadForward(out: UnsafeMutablePointer<Float>, probs p: UnsafeMutablePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               rowStride: Int, outStride: Int, tokens t: Int, headSize d: Int, scale: Float) {
    for i in 0..<t {
        causalRowForward(out: out + i * outStride, scores: p + i * t, q: q + i * rowStride, k: k, v: v,
                         rowStride: rowStride, row: i, headSize: d, scale: scale)
        for s in (i + 1)..<t { p[i * t + s] = 0 }
    }
}

/// Query row i of a causal head: scores[s] = q·k[s] / √d for s ≤ i, softmax over them
/// (left in `scores`), out = Σ_s scores[s] v[s], summed in order s = 0, 1, ..., i.
@inline(__always)
private func causalRowForward(out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                              q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                              rowStride: Int, row i: Int, headSize d: Int, scale: Float) {
    for s in 0...i {
        let ks = k + s * rowStride
        var dot: Float = 0
        for j in 0..<d { dot += q[j] * ks[j] }
        scores[s] = dot * scale
    }
    softmaxForward(out: scores, inp: scores, rows: 1, columns: i + 1)
    for j in 0..<d { out[j] = 0 }
    for s in 0...i {
        let w = scores[s]
        let vs = v + s * rowStride
        for j in 0..<d { out[j] += w * vs[j] }
    }
}

/// Attention from a fused qkv buffer [B*T, 3C] (q, k, v side by side in each row, as produced
/// by one linear layer with PyTorch's `in_proj_weight` [3C, C]); see
/// `attentionForward(out:probs:q:k:v:rowStride:batch:tokens:channels:heads:causal:)`.
public func attentionForward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                             qkv: UnsafePointer<Float>, batch: Int, tokens: Int, channels: Int,
                             heads: Int, causal: Bool, precision: Precision = .fp32, profile: ForwardProfile? = nil) {
    attentionForward(out: out, probs: probs, q: qkv, k: qkv + channels, v: qkv + 2 * channels,
                     rowStride: 3 * channels, batch: batch, tokens: tokens, channels: channels,
                     heads: heads, causal: causal, precision: precision, profile: profile)
}

/// Attention over sequences of different lengths packed one after another in a fused qkv
/// buffer [Σ L_i, 3C] (no padding rows); `out` is [Σ L_i, C]. Each sequence attends only to
/// itself, exactly as `attentionForward(out:probs:qkv:batch:tokens:channels:heads:causal:)`
/// with batch 1 would.
public func attentionForward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                             sequenceLengths: [Int], channels: Int, heads: Int, causal: Bool) {
    var row = 0
    for length in sequenceLengths {
        attentionForward(out: out + row * channels, probs: nil, qkv: qkv + row * 3 * channels, batch: 1,
                         tokens: length, channels: channels, heads: heads, causal: causal)
        row += length
    }
}

/// Array form of the fused-qkv `attentionForward` for `B` sequences of `T` tokens:
/// returns `(out [B*T, C], att [B, NH, T, T])`, the probabilities being what
/// `attentionBackward` needs.
public func attentionForward(_ qkv: [Float], batch B: Int = 1, T: Int, C: Int, heads NH: Int, causal: Bool)
    -> (out: [Float], att: [Float]) {
    var out = [Float](repeating: 0, count: B * T * C)
    var att = [Float](repeating: 0, count: B * NH * T * T)
    attentionForward(out: &out, probs: &att, qkv: qkv, batch: B, tokens: T, channels: C, heads: NH, causal: causal)
    return (out, att)
}

// Backward of multi-head self-attention through matrix products, per sequence and head h,
// with Q, K, V the [T, hs] column blocks of qkv [T, 3C] (row stride 3C), P the forward's
// probabilities and dO the output gradient, hs = C / NH:
//   dP = dO Vᵀ;  dV += Pᵀ dO;  dS = P ⊙ (dP - rowsum(P ⊙ dP));  dQ += dS K / √hs;  dK += dSᵀ Q / √hs
// (masked entries have P = 0 and so contribute nothing; llm.c's attention_backward is the
// same maths as loops). Sequences run in parallel; each worker's products stay on its thread.
/// Gradient of `attentionForward` with respect to the fused `qkv` (accumulated into `dqkv`).
public func attentionBackward(dout: [Float], qkv: [Float], att: [Float], dqkv: inout [Float],
                              batch B: Int = 1, T: Int, C: Int, heads NH: Int, causal: Bool) {
    precondition(NH > 0 && C % NH == 0, "channels \(C) not divisible by heads \(NH)")
    precondition(dout.count == B * T * C && qkv.count == B * T * 3 * C && dqkv.count == qkv.count
                 && att.count == B * NH * T * T, "attention backward: buffer sizes do not match B, T, C, heads")
    let perSequence = T * 3 * C, perOut = T * C, perProbabilities = NH * T * T
    dqkv.withUnsafeMutableBufferPointer { dBuffer in
        dout.withUnsafeBufferPointer { doutBuffer in
            qkv.withUnsafeBufferPointer { qkvBuffer in
                att.withUnsafeBufferPointer { attBuffer in
                    let d = dBuffer.baseAddress!, o = doutBuffer.baseAddress!
                    let q = qkvBuffer.baseAddress!, p = attBuffer.baseAddress!
                    parallelRanges(B) { range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
                        defer { scratch.deallocate() }
                        for b in range {
                            sequenceAttentionBackward(dout: o + b * perOut, qkv: q + b * perSequence,
                                                      probs: p + b * perProbabilities, dqkv: d + b * perSequence,
                                                      scratch: scratch, T: T, C: C, heads: NH)
                        }
                    }
                }
            }
        }
    }
}

/// `attentionBackward` for one sequence; `scratch` holds T*T floats.
private func sequenceAttentionBackward(dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
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
