// y = max(x, 0);  dx = dy * [x > 0]

/// Rectified linear unit.
public func reluForward(_ x: [Float]) -> [Float] { x.map { max($0, 0) } }

/// Gradient of `reluForward` (accumulates into `dx`); `y` is the forward output.
public func reluBackward(dy: [Float], y: [Float], dx: inout [Float]) {
    for i in 0..<dy.count where y[i] > 0 { dx[i] += dy[i] }
}
