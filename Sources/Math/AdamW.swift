import Foundation

/// Adam with decoupled weight decay (Loshchilov and Hutter), the optimiser CLIP was trained
/// with. Decay applies to matrices only (not to gains, biases, embeddings or the temperature).
///
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///   p -= lr * ( m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + wd * p )
public struct AdamW: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.98
    public var epsilon: Float = 1e-6
    public var weightDecay: Float = 0.1
    public private(set) var step = 0
    public var first: ParameterSet
    public var second: ParameterSet

    public init(like parameters: ParameterSet) {
        first = parameters.zeros()
        second = parameters.zeros()
    }

    /// Restores saved moments and step count.
    public init(first: ParameterSet, second: ParameterSet, step: Int) {
        self.first = first
        self.second = second
        self.step = step
    }

    /// Whether weight decay applies to a parameter.
    static func decays(_ name: String, shape: [Int]) -> Bool {
        shape.count >= 2 && !name.contains("embedding")
    }

    /// Applies one update with learning rate `lr`.
    public mutating func update(_ parameters: inout ParameterSet, grads: ParameterSet, lr: Float) {
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        for t in 0..<parameters.values.count {
            let decay = AdamW.decays(parameters.names[t], shape: parameters.shapes[t]) ? weightDecay : 0
            let g = grads.values[t]
            var m = first.values[t], v = second.values[t], p = parameters.values[t]
            first.values[t] = []; second.values[t] = []; parameters.values[t] = []
            for i in 0..<p.count {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                p[i] -= lr * ((m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon) + decay * p[i])
            }
            first.values[t] = m; second.values[t] = v; parameters.values[t] = p
        }
    }
}
