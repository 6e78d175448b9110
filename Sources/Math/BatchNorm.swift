// 2-D batch normalisation over N images of C channels and S = H*W positions,
// layout [N, C, S]. Statistics are per channel over the M = N*S values.

/// Running statistics and affine parameters of one BatchNorm2d layer (PyTorch semantics).
public struct BatchNormParameters: Sendable, Equatable {
    /// Scale gamma [C].
    public var weight: [Float]
    /// Shift beta [C].
    public var bias: [Float]
    /// Running mean [C], used in inference mode.
    public var runningMean: [Float]
    /// Running (unbiased) variance [C], used in inference mode.
    public var runningVar: [Float]
    /// Training-mode updates seen so far (PyTorch `num_batches_tracked`).
    public var batchesTracked: Int
    /// Added to the variance (PyTorch default 1e-5).
    public var eps: Float
    /// Running-statistics momentum (PyTorch default 0.1).
    public var momentum: Float

    /// gamma = 1, beta = 0, running mean 0 and variance 1: a fresh PyTorch layer.
    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = [Float](repeating: 1, count: channels)
        bias = [Float](repeating: 0, count: channels)
        runningMean = [Float](repeating: 0, count: channels)
        runningVar = [Float](repeating: 1, count: channels)
        batchesTracked = 0
        self.eps = eps
        self.momentum = momentum
    }

    /// Number of channels.
    public var channels: Int { weight.count }
}

// Inference: y[n,c,s] = (x[n,c,s] - running_mean[c]) / sqrt(running_var[c] + eps) * gamma[c] + beta[c]
/// BatchNorm in inference mode (running statistics).
public func batchNormInferenceForward(_ x: [Float], _ bn: BatchNormParameters, N: Int, C: Int, S: Int) -> [Float] {
    var y = x
    for c in 0..<C {
        let scale = bn.weight[c] / (bn.runningVar[c] + bn.eps).squareRoot()
        let shift = bn.bias[c] - bn.runningMean[c] * scale
        for n in 0..<N {
            let base = (n * C + c) * S
            for s in 0..<S { y[base + s] = x[base + s] * scale + shift }
        }
    }
    return y
}

// Training: mean[c] = 1/M sum x, var[c] = 1/M sum (x - mean)^2 (biased),
//   xhat = (x - mean) * rstd, rstd = 1/sqrt(var + eps), y = gamma * xhat + beta.
//   Running stats: mean_r = (1-m) mean_r + m mean; var_r = (1-m) var_r + m var * M/(M-1).
/// BatchNorm in training mode: normalises with the batch statistics, updates the running
/// statistics in `bn`, and returns `(y, mean, rstd)` (the last two are what the backward needs).
public func batchNormTrainForward(_ x: [Float], _ bn: inout BatchNormParameters, N: Int, C: Int, S: Int)
    -> (y: [Float], mean: [Float], rstd: [Float]) {
    var y = x
    var mean = [Float](repeating: 0, count: C), rstd = [Float](repeating: 0, count: C)
    let M = Float(N * S)
    for c in 0..<C {
        var sum: Double = 0
        for n in 0..<N { let b = (n * C + c) * S; for s in 0..<S { sum += Double(x[b + s]) } }
        let m = Float(sum / Double(M))
        var sq: Double = 0
        for n in 0..<N { let b = (n * C + c) * S; for s in 0..<S { let d = Double(x[b + s] - m); sq += d * d } }
        let v = Float(sq / Double(M))
        let r = 1 / (v + bn.eps).squareRoot()
        mean[c] = m; rstd[c] = r
        for n in 0..<N {
            let b = (n * C + c) * S
            for s in 0..<S { y[b + s] = (x[b + s] - m) * r * bn.weight[c] + bn.bias[c] }
        }
        bn.runningMean[c] = (1 - bn.momentum) * bn.runningMean[c] + bn.momentum * m
        let unbiased = M > 1 ? v * M / (M - 1) : v
        bn.runningVar[c] = (1 - bn.momentum) * bn.runningVar[c] + bn.momentum * unbiased
    }
    bn.batchesTracked += 1
    return (y, mean, rstd)
}

// Backward of the training-mode forward:
//   dgamma[c] += sum dy * xhat,  dbeta[c] += sum dy
//   dxhat = dy * gamma
//   dx = rstd / M * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))
/// Gradients of `batchNormTrainForward`.
public func batchNormTrainBackward(dy: [Float], x: [Float], mean: [Float], rstd: [Float], weight: [Float],
                                   dx: inout [Float], dweight: inout [Float], dbias: inout [Float],
                                   N: Int, C: Int, S: Int) {
    let M = Float(N * S)
    for c in 0..<C {
        var sumD: Float = 0, sumDX: Float = 0
        for n in 0..<N {
            let b = (n * C + c) * S
            for s in 0..<S {
                let xhat = (x[b + s] - mean[c]) * rstd[c]
                sumD += dy[b + s]
                sumDX += dy[b + s] * xhat
            }
        }
        dbias[c] += sumD
        dweight[c] += sumDX
        let g = weight[c]
        for n in 0..<N {
            let b = (n * C + c) * S
            for s in 0..<S {
                let xhat = (x[b + s] - mean[c]) * rstd[c]
                dx[b + s] += g * rstd[c] / M * (M * dy[b + s] - sumD - xhat * sumDX)
            }
        }
    }
}
