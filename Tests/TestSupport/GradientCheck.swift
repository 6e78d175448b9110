import XCTest
import Math

public typealias SeededGenerator = SplitMix64

public func randomArray(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
}

/// Compares an analytic gradient with central finite differences of a scalar loss
/// `loss(x)`: |analytic - numeric| <= tol * max(1, |numeric|) for every coordinate.
public func checkGradient(_ name: String, x: [Float], analytic: [Float], eps: Float = 1e-2, tol: Float = 2e-2,
                   file: StaticString = #filePath, line: UInt = #line, loss: ([Float]) -> Double) {
    XCTAssertEqual(x.count, analytic.count, "\(name): gradient size", file: file, line: line)
    var worst: Float = 0
    for i in 0..<x.count {
        var xp = x, xm = x
        xp[i] += eps; xm[i] -= eps
        let numeric = Float((loss(xp) - loss(xm)) / Double(2 * eps))
        let err = abs(analytic[i] - numeric) / max(1, abs(numeric))
        worst = max(worst, err)
        // NaN-strict: a NaN error fails here, where `err > tol` would let it pass.
        if !(err <= tol) {
            XCTFail("\(name)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)", file: file, line: line)
            return
        }
    }
    XCTAssertLessThanOrEqual(worst, tol, file: file, line: line)
}

/// sum_i out[i] * r[i] in double precision: a scalar loss whose output gradient is `r`.
public func project(_ out: [Float], _ r: [Float]) -> Double {
    var s: Double = 0
    for i in 0..<out.count { s += Double(out[i]) * Double(r[i]) }
    return s
}
