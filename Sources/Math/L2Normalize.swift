// Scaling rows (or a whole matrix, with N = 1) to unit Euclidean norm:
//   y = x / |x|
//   dx = (dy - y * (y . dy)) / |x|

/// Each of `N` rows of width `C` divided by its norm; returns `(y, norms)`.
public func l2NormalizeForward(_ x: [Float], N: Int, C: Int) -> (y: [Float], norms: [Float]) {
    var y = x, norms = [Float](repeating: 0, count: N)
    for n in 0..<N {
        var s: Float = 0
        for i in 0..<C { s += x[n * C + i] * x[n * C + i] }
        let r = s.squareRoot()
        norms[n] = r
        for i in 0..<C { y[n * C + i] = x[n * C + i] / r }
    }
    return (y, norms)
}

/// Gradient of `l2NormalizeForward` (accumulated into `dx`).
public func l2NormalizeBackward(dy: [Float], y: [Float], norms: [Float], dx: inout [Float], N: Int, C: Int) {
    for n in 0..<N {
        var dot: Float = 0
        for i in 0..<C { dot += y[n * C + i] * dy[n * C + i] }
        for i in 0..<C { dx[n * C + i] += (dy[n * C + i] - y[n * C + i] * dot) / norms[n] }
    }
}
