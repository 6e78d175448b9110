import Pixels
import Foundation

/// Colours for class labels: PASCAL VOC's standard colormap, or a set of perceptually
/// distinct colours for any class list.
///
/// The VOC colormap spreads the bits of the class index over the channels, most
/// significant first: bit 3j of i goes to red bit 7-j, bit 3j+1 to green, bit 3j+2 to blue.
///
/// ```swift
/// ClassPalette.voc(count: 21)[15]   // person: RGB(192, 128, 128)
/// ClassPalette.distinct(count: 40)  // 40 colours, evenly spread in OKLab hue
/// ```
public enum ClassPalette {
    /// The first `count` colours of the VOC colormap.
    public static func voc(count: Int = 256) -> [RGB] {
        (0..<count).map { i in
            var r = 0, g = 0, b = 0, c = i
            for j in 0..<8 {
                r |= (c & 1) << (7 - j)
                g |= ((c >> 1) & 1) << (7 - j)
                b |= ((c >> 2) & 1) << (7 - j)
                c >>= 3
            }
            return RGB(UInt8(r), UInt8(g), UInt8(b))
        }
    }

    /// `count` colours far apart to the eye: chosen greedily from an OKLCh grid inside the
    /// sRGB gamut (lightness 0.45-0.9, 36 hues, two chroma levels), each new colour the
    /// candidate farthest in OKLab from all chosen so far (farthest-point sampling). The
    /// first is a mid red; the result depends only on `count`'s prefix, so the colours of
    /// the first classes do not change when classes are added.
    public static func distinct(count: Int) -> [RGB] {
        guard count > 0 else { return [] }
        let candidates = distinctCandidates
        var chosen: [RGB] = []
        var nearest = [Float](repeating: .infinity, count: candidates.count)
        var next = 0
        for _ in 0..<count {
            chosen.append(candidates[next].rgb)
            let picked = candidates[next].lab
            var best = -Float.infinity
            for i in candidates.indices {
                nearest[i] = min(nearest[i], distance2(candidates[i].lab, picked))
                if nearest[i] > best { best = nearest[i]; next = i }
            }
        }
        return chosen
    }

    /// In-gamut OKLCh grid points, as 8-bit sRGB and their OKLab coordinates.
    private static let distinctCandidates: [(rgb: RGB, lab: SIMD3<Float>)] = {
        var out: [(RGB, SIMD3<Float>)] = []
        let table = LinearLight.toSRGBTable
        func code(_ v: Double) -> UInt8 { table[Int(max(0, min(1, v)) * 65535 + 0.5)] }
        for h in 0..<36 {
            let hue = Double(h) * 10 / 180 * Double.pi + 0.5
            for l in stride(from: 0.45, through: 0.9, by: 0.05) {
                for fraction in [1.0, 0.55] {
                    var chroma = 0.30
                    while chroma > 0.01 {
                        let (r, g, b) = okLabToLinearSRGB(l: l, a: chroma * cos(hue), b: chroma * sin(hue))
                        if [r, g, b].allSatisfy({ $0 >= 0 && $0 <= 1 }) { break }
                        chroma -= 0.005
                    }
                    chroma *= fraction
                    let (r, g, b) = okLabToLinearSRGB(l: l, a: chroma * cos(hue), b: chroma * sin(hue))
                    let rgb = RGB(code(r), code(g), code(b))
                    out.append((rgb, ColorDistance.oklab.point(rgb)))
                }
            }
        }
        return out
    }()

    /// The palette for a class list: VOC's when the list is VOC's (21 classes, background
    /// first); otherwise each class with a familiar colour (`familiar`: sky blue, grass green,
    /// road purple as in Cityscapes, ...) takes it, and the others take the `distinct` colours
    /// that are not too close to any familiar one in use (OKLab distance over 0.08), in order.
    public static func forClasses(_ names: [String]) -> [RGB] {
        if names.count == 21 && names.first?.lowercased() == "background" { return voc(count: 21) }
        let known = names.map { familiar[$0.lowercased()] }
        let taken = known.compactMap { $0 }.map(ColorDistance.oklab.point)
        let needed = known.filter { $0 == nil }.count
        let pool = distinct(count: needed + 4 * taken.count)
        let apart = pool.filter { c in taken.allSatisfy { distance2($0, ColorDistance.oklab.point(c)) > 0.08 * 0.08 } }
        let spare = Array((apart + pool.filter { !apart.contains($0) }).prefix(needed))
        var next = 0
        return known.map { colour in
            if let colour { return colour }
            defer { next += 1 }
            return spare[next]
        }
    }

    /// Colours people know these classes by in segmentation figures (Cityscapes' road, sky,
    /// vegetation, car; ADE20K-like for the rest), tuned to stay apart from each other.
    public static let familiar: [String: RGB] = [
        "sky": RGB(70, 130, 180), "cloud": RGB(205, 215, 235), "mountain": RGB(130, 95, 60),
        "snow": RGB(250, 250, 250), "tree": RGB(35, 105, 35), "grass": RGB(140, 215, 90),
        "water": RGB(25, 80, 230), "sand": RGB(235, 205, 135), "road": RGB(128, 64, 128),
        "building": RGB(130, 130, 130), "car": RGB(220, 20, 60), "boat": RGB(255, 200, 0),
        "person": RGB(255, 140, 200), "background": RGB(0, 0, 0),
    ]

    /// OKLab to linear sRGB (Ottosson's inverse matrices).
    static func okLabToLinearSRGB(l: Double, a: Double, b: Double) -> (Double, Double, Double) {
        let l_ = l + 0.3963377774 * a + 0.2158037573 * b
        let m_ = l - 0.1055613458 * a - 0.0638541728 * b
        let s_ = l - 0.0894841775 * a - 1.2914855480 * b
        let (L, M, S) = (l_ * l_ * l_, m_ * m_ * m_, s_ * s_ * s_)
        return (4.0767416621 * L - 3.3077115913 * M + 0.2309699292 * S,
                -1.2684380046 * L + 2.6097574011 * M - 0.3413193965 * S,
                -0.0041960863 * L - 0.7034186147 * M + 1.7076147010 * S)
    }
}
