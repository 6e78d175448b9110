import Foundation

// Softmax cross-entropy over N rows of K logits with integer targets, mean over rows:
//   loss = 1/N sum_n ( logsumexp(z[n]) - z[n, y_n] )
//   dz[n, k] = (softmax(z[n])_k - [k == y_n]) / N

/// Mean softmax cross-entropy; returns `(loss, probabilities [N, K])`.
public func crossEntropyForward(_ logits: [Float], targets: [Int], N: Int, K: Int) -> (loss: Float, probs: [Float]) {
    let probs = softmaxForward(logits, N: N, K: K)
    var loss: Double = 0
    for n in 0..<N { loss -= Double(logf(max(probs[n * K + targets[n]], 1e-30))) }
    return (Float(loss / Double(N)), probs)
}

/// Gradient of `crossEntropyForward` with respect to the logits, scaled by `dloss`.
public func crossEntropyBackward(probs: [Float], targets: [Int], N: Int, K: Int, dloss: Float = 1) -> [Float] {
    var d = probs
    for n in 0..<N { d[n * K + targets[n]] -= 1 }
    let s = dloss / Float(N)
    return d.map { $0 * s }
}

// Row softmax: p[n, k] = exp(z[n,k] - max) / sum_j exp(z[n,j] - max)
/// Softmax of each of `N` rows of `K` values.
public func softmaxForward(_ z: [Float], N: Int, K: Int) -> [Float] {
    var p = [Float](repeating: 0, count: N * K)
    for n in 0..<N {
        var m = -Float.infinity
        for k in 0..<K { m = max(m, z[n * K + k]) }
        var s: Float = 0
        for k in 0..<K { let e = expf(z[n * K + k] - m); p[n * K + k] = e; s += e }
        for k in 0..<K { p[n * K + k] /= s }
    }
    return p
}

// dz[n, k] = p[n, k] * (dp[n, k] - sum_j p[n, j] dp[n, j])
/// Gradient of `softmaxForward` (accumulated into `dz`).
public func softmaxBackward(dp: [Float], p: [Float], dz: inout [Float], N: Int, K: Int) {
    for n in 0..<N {
        var dot: Float = 0
        for k in 0..<K { dot += p[n * K + k] * dp[n * K + k] }
        for k in 0..<K { dz[n * K + k] += p[n * K + k] * (dp[n * K + k] - dot) }
    }
}
