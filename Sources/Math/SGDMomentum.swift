/// Stochastic gradient descent with momentum and L2 weight decay, as PyTorch's `torch.optim.SGD`
/// (the optimiser ReCLIP's authors train the rectifier with):
///
///   g = grad + wd * p;  v = g at the first step, else momentum * v + g;  p -= lr * v
public struct SGDMomentum: Sendable, Equatable {
    public var momentum: Float
    public var weightDecay: Float

    public init(momentum: Float, weightDecay: Float) {
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Updates one tensor in place; `velocity` is nil before its first step and holds the
    /// momentum buffer afterwards.
    public func update(_ p: inout [Float], grad g: [Float], velocity: inout [Float]?, lr: Float) {
        precondition(g.count == p.count, "gradient and parameter differ in size")
        let first = velocity == nil
        var v = velocity ?? [Float](repeating: 0, count: p.count)
        for i in 0..<p.count {
            let gi = g[i] + weightDecay * p[i]
            v[i] = first ? gi : momentum * v[i] + gi
            p[i] -= lr * v[i]
        }
        velocity = v
    }
}
