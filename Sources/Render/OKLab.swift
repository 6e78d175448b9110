import Pixels
import Foundation

/// A colour in Björn Ottosson's OKLab space, where Euclidean distance follows perceived
/// difference; used to pick the nearest palette colour.
///
///     lms = M1 · linear_rgb,   lms' = cbrt(lms),   (L, a, b) = M2 · lms'
struct OKLab: Hashable, Sendable {
    var l: Float
    var a: Float
    var b: Float

    /// From linear-light RGB in 0...1.
    @inline(__always)
    init(linearR r: Float, g: Float, b: Float) {
        let l = OKLab.cubeRoot(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b)
        let m = OKLab.cubeRoot(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b)
        let s = OKLab.cubeRoot(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)
        self.l = 0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s
        self.a = 1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s
        self.b = 0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s
    }

    /// From 8-bit sRGB.
    init(_ c: RGB) {
        let t = LinearLight.fromSRGB
        self.init(linearR: t[Int(c.r)], g: t[Int(c.g)], b: t[Int(c.b)])
    }

    /// Cube root of a non-negative value: an exponent-dividing bit trick (within ~5%)
    /// refined by two Halley steps, y <- y (y^3 + 2x) / (2y^3 + x), each tripling the
    /// correct digits, to float precision; several times faster than `cbrtf`.
    @inline(__always)
    static func cubeRoot(_ x: Float) -> Float {
        guard x > 0 else { return 0 }
        var y = Float(bitPattern: x.bitPattern / 3 + 709_921_077)
        var y3 = y * y * y
        y = y * (y3 + 2 * x) / (2 * y3 + x)
        y3 = y * y * y
        y = y * (y3 + 2 * x) / (2 * y3 + x)
        return y
    }

    /// Squared Euclidean distance.
    @inline(__always)
    func distance2(_ o: OKLab) -> Float {
        let dl = l - o.l, da = a - o.a, db = b - o.b
        return dl * dl + da * da + db * db
    }
}
