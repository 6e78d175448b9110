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
