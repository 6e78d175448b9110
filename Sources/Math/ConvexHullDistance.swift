import Foundation

/// The Euclidean projection of `v` onto the probability simplex {w : w_i >= 0, sum_i w_i = 1}
/// (the sort-based rule of Held, Wolfe and Crowder; Duchi et al. 2008):
///
///     u = v sorted descending,  rho = max { j : u_j - (sum_{i<=j} u_i - 1) / j > 0 },
///     theta = (sum_{i<=rho} u_i - 1) / rho,  w_i = max(v_i - theta, 0).
///
/// `v` must be non-empty and finite.
public func projectedOntoSimplex(_ v: [Double]) -> [Double] {
    precondition(!v.isEmpty && v.allSatisfy(\.isFinite), "a simplex projection needs finite values")
    let u = v.sorted(by: >)
    var sum = 0.0, theta = 0.0
    for (j, x) in u.enumerated() {
        sum += x
        let t = (sum - 1) / Double(j + 1)
        if x - t > 0 { theta = t }
    }
    return v.map { max($0 - theta, 0) }
}

/// The point of the convex hull of `vertices` nearest to `point`, its convex weights and its
/// distance:
///
///     min_w f(w) = |A w - m|^2 / 2  over the simplex,  A = [v_1 ... v_n] (columns), m = point,
///
/// by projected gradient with step 1 / L, L = |A|_2^2 (the largest eigenvalue of the Gram matrix
/// G = A^T A, by power iteration), gradient G w - A^T m. f is convex and L-smooth, so the
/// iterates decrease f to its minimum at rate O(L / t); n is small here (a rectifier's classes),
/// so each iteration costs n^2 and the dimension enters only through G and A^T m.
///
/// ```swift
/// let h = ConvexHullDistance(point: m, vertices: classMeans)
/// h.distance      // 0 when m is a convex mixture of the class means
/// ```
public struct ConvexHullDistance: Sendable, Equatable {
    /// Convex weights of the nearest point (non-negative, summing to 1).
    public let weights: [Double]
    /// |sum_i w_i v_i - point|.
    public let distance: Double

    /// `vertices` must be non-empty, all of `point`'s length, and every value finite.
    public init(point: [Double], vertices: [[Double]], iterations: Int = 3000) {
        let n = vertices.count, d = point.count
        precondition(n > 0 && vertices.allSatisfy { $0.count == d }, "hull vertices of the point's dimension")
        precondition(point.allSatisfy(\.isFinite) && vertices.allSatisfy { $0.allSatisfy(\.isFinite) }, "finite values")
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let g = dot(vertices[i], vertices[j]); gram[i * n + j] = g; gram[j * n + i] = g } }
        let b = vertices.map { dot($0, point) }
        func gramTimes(_ w: [Double]) -> [Double] {
            (0..<n).map { i in (0..<n).reduce(0) { $0 + gram[i * n + $1] * w[$1] } }
        }
        // L by power iteration from the all-ones direction (100 rounds: ample for a dozen vertices),
        // lifted by 1 % since the estimate approaches the largest eigenvalue from below, and never
        // above the trace, which bounds it from above.
        var x = [Double](repeating: 1 / Double(n).squareRoot(), count: n), lambda = 0.0
        for _ in 0..<100 {
            let y = gramTimes(x)
            let norm = dot(y, y).squareRoot()
            guard norm > 0 else { break }
            lambda = norm
            x = y.map { $0 / norm }
        }
        let trace = (0..<n).reduce(0) { $0 + gram[$1 * n + $1] }
        let lipschitz = max(min(lambda * 1.01, trace), .leastNormalMagnitude)
        var w = [Double](repeating: 1 / Double(n), count: n)
        for _ in 0..<max(1, iterations) {
            let g = gramTimes(w)
            w = projectedOntoSimplex((0..<n).map { w[$0] - (g[$0] - b[$0]) / lipschitz })
        }
        var nearest = [Double](repeating: 0, count: d)
        for i in 0..<n where w[i] != 0 { for k in 0..<d { nearest[k] += w[i] * vertices[i][k] } }
        weights = w
        distance = zip(nearest, point).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
}
