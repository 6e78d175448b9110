import Foundation

// Hard Gumbel-softmax with the straight-through estimator (PyTorch F.gumbel_softmax, hard=True),
// over N rows of K logits, noise g = -log(Exp(1)) given by the caller:
//   y_soft = softmax((z + g) / tau)
//   forward value: y_hard = onehot(argmax y_soft)        (PyTorch: y_hard - y_soft.detach() + y_soft)
//   backward: dz = softmax_backward(dy, y_soft) / tau    (the gradient of y_soft)

/// Hard Gumbel-softmax; returns `(hard one-hot [N, K], soft probabilities [N, K])`.
public func gumbelSoftmaxHardForward(_ z: [Float], noise: [Float], tau: Float, N: Int, K: Int)
    -> (hard: [Float], soft: [Float]) {
    var shifted = z
    for i in 0..<z.count { shifted[i] = (z[i] + noise[i]) / tau }
    let soft = softmaxForward(shifted, N: N, K: K)
    var hard = [Float](repeating: 0, count: N * K)
    for n in 0..<N {
        var best = 0
        for k in 1..<K where soft[n * K + k] > soft[n * K + best] { best = k }
        hard[n * K + best] = 1
    }
    return (hard, soft)
}

/// Straight-through gradient of `gumbelSoftmaxHardForward` (accumulated into `dz`).
public func gumbelSoftmaxHardBackward(dy: [Float], soft: [Float], tau: Float, dz: inout [Float], N: Int, K: Int) {
    var d = [Float](repeating: 0, count: N * K)
    softmaxBackward(dp: dy, p: soft, dz: &d, N: N, K: K)
    for i in 0..<d.count { dz[i] += d[i] / tau }
}

/// Gumbel(0, 1) noise from a seeded generator: g = -log(-log(u)), u uniform in (0, 1).
public func gumbelNoise<G: RandomNumberGenerator>(count: Int, using rng: inout G) -> [Float] {
    (0..<count).map { _ in
        let u = Float.random(in: Float.ulpOfOne..<1, using: &rng)
        return -logf(-logf(u))
    }
}
