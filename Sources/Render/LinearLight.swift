import Foundation

/// The sRGB transfer function as lookup tables: 8-bit sRGB to linear light and back.
///
/// Averaging, blending and colour distances are done in linear light (or OKLab, which is
/// built on it), because averaging gamma-encoded values darkens edges and fine detail.
///
///     linear(c) = c / 12.92                      for c <= 0.04045
///               = ((c + 0.055) / 1.055)^2.4      otherwise        (c = sRGB / 255)
enum LinearLight {
    /// Linear value of each 8-bit sRGB code.
    static let fromSRGB: [Float] = (0..<256).map { code in
        let c = Double(code) / 255
        return Float(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4))
    }


    /// 8-bit sRGB code of each linear value `i / 65535`, rounded to nearest.
    static let toSRGBTable: [UInt8] = (0...65535).map { i in
        let l = Double(i) / 65535
        let c = l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1 / 2.4) - 0.055
        return UInt8(max(0, min(255, (c * 255).rounded())))
    }

    /// 8-bit sRGB code of a linear value (clamped to 0...1).
    @inline(__always)
    static func toSRGB(_ linear: Float, table: UnsafePointer<UInt8>) -> UInt8 {
        let i = Int(linear * 65535 + 0.5)
        return table[i < 0 ? 0 : (i > 65535 ? 65535 : i)]
    }

    /// Identity tables for averaging sRGB codes directly: code / 255, and back.
    static let codeFraction: [Float] = (0..<256).map { Float($0) / 255 }
    static let fractionCode: [UInt8] = (0...65535).map { UInt8((Double($0) / 65535 * 255).rounded()) }
}
