import XCTest
import TestSupport
@testable import Math

/// The simplex projection and the distance to a convex hull, against their defining properties
/// and closed forms.
final class ConvexHullDistanceTests: XCTestCase {
    func random(_ n: Int, _ rng: inout SplitMix64, scale: Double = 3) -> [Double] {
        (0..<n).map { _ in Double.random(in: -scale...scale, using: &rng) }
    }

    /// The projection lies on the simplex, is the identity on it, and is the nearest point: for
    /// every point q of the simplex, <v - p, q - p> <= 0 (the variational inequality).
    func testSimplexProjectionIsTheNearestPointOfTheSimplex() {
        var rng = SplitMix64(seed: 7)
        for n in [1, 2, 3, 7, 12] {
            for _ in 0..<50 {
                let v = random(n, &rng)
                let p = projectedOntoSimplex(v)
                XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0.isFinite })
                TestSupport.assertClose(p.reduce(0, +), 1, tolerance: 1e-12, "sums to one")
                TestSupport.assertClose(projectedOntoSimplex(p), p, tolerance: 1e-12, "idempotent")
                for _ in 0..<20 {
                    let q = projectedOntoSimplex(random(n, &rng, scale: 10))
                    let inner = (0..<n).reduce(0) { $0 + (v[$1] - p[$1]) * (q[$1] - p[$1]) }
                    XCTAssertLessThanOrEqual(inner, 1e-9, "v \(v) p \(p) q \(q)")
                }
            }
        }
        TestSupport.assertClose(projectedOntoSimplex([0.2, 0.3, 0.5]), [0.2, 0.3, 0.5], tolerance: 1e-15)
        TestSupport.assertClose(projectedOntoSimplex([5, 0, 0]), [1, 0, 0], tolerance: 0)
        TestSupport.assertClose(projectedOntoSimplex([1, 1]), [0.5, 0.5], tolerance: 0)
    }

    /// A convex mixture of the vertices is at distance 0; a point pushed off the hull's affine
    /// span by h (in a direction orthogonal to it) is at distance h, with the mixture's weights.
    func testMixturesAreInsideAndOrthogonalOffsetsAreTheirLength() {
        var rng = SplitMix64(seed: 11)
        let d = 16, n = 5
        // Vertices in the first n - 1 coordinates plus a common offset, so that the last d - n
        // coordinates are orthogonal to their affine span.
        let vertices = (0..<n).map { _ in random(n - 1, &rng) + [Double](repeating: 0, count: d - n + 1) }
        for _ in 0..<10 {
            let w = projectedOntoSimplex(random(n, &rng))
            var m = [Double](repeating: 0, count: d)
            for i in 0..<n { for k in 0..<d { m[k] += w[i] * vertices[i][k] } }
            let inside = ConvexHullDistance(point: m, vertices: vertices)
            XCTAssertLessThan(inside.distance, 1e-6)
            let h = Double.random(in: 0.1...2, using: &rng)
            var off = m
            off[d - 1] += h * 0.6; off[d - 2] += h * 0.8
            let outside = ConvexHullDistance(point: off, vertices: vertices)
            TestSupport.assertClose(outside.distance, h, tolerance: 1e-6, "orthogonal offset")
            TestSupport.assertClose(outside.weights.reduce(0, +), 1, tolerance: 1e-9)
        }
    }

    /// Two vertices: the hull is a segment, and the distance to it has a closed form.
    func testTheDistanceToASegmentMatchesItsClosedForm() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let a = random(6, &rng), b = random(6, &rng), m = random(6, &rng)
            let ab = zip(b, a).map { $0 - $1 }, am = zip(m, a).map { $0 - $1 }
            let t = min(1, max(0, zip(ab, am).reduce(0) { $0 + $1.0 * $1.1 } / ab.reduce(0) { $0 + $1 * $1 }))
            let expected = (0..<6).reduce(0) { $0 + pow(a[$1] + t * ab[$1] - m[$1], 2) }.squareRoot()
            let h = ConvexHullDistance(point: m, vertices: [a, b])
            TestSupport.assertClose(h.distance, expected, tolerance: 1e-7, "segment")
            TestSupport.assertClose(h.weights[1], t, tolerance: 1e-5, "the nearest point's position")
        }
        // One vertex: the distance to it.
        TestSupport.assertClose(ConvexHullDistance(point: [3, 4], vertices: [[0, 0]]).distance, 5, tolerance: 1e-12)
    }
}
