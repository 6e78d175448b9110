import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// A square crop of a scene, resampled back to the scene's size, with a caption naming exactly
/// the classes inside the crop.
///
/// Crops are still image-caption pairs: what a caption says about the picture it comes with
/// is all a model trained on them learns. A crop of a lake scene that holds only water and a
/// boat is captioned "a boat on water", which is how a small CLIP learns that "boat" is the
/// small thing and not the whole scene (the full scene's caption also names the sky, the
/// mountains and the trees).
///
/// ```swift
/// var rng = WorldRandom(seed: 7, index: 0)
/// let crop = scene.randomCrop(WorldCropSettings(probability: 0.5), rng: &rng)   // nil: nothing to name
/// crop?.caption                                           // "a photo of water and a boat"
/// ```
public struct WorldCropSettings: Sendable, Equatable, Codable {
    /// Probability that a training pair is a crop instead of the whole scene.
    public var probability: Float
    /// Crop sides in pixels of the scene (drawn uniformly), before resampling to its size.
    public var minimumSide: Int
    public var maximumSide: Int
    /// A class is named when it covers at least this share of the crop's pixels.
    public var minimumFraction: Float

    public init(probability: Float, minimumSide: Int = 24, maximumSide: Int = 72, minimumFraction: Float = 0.02) {
        self.probability = probability
        self.minimumSide = minimumSide
        self.maximumSide = maximumSide
        self.minimumFraction = minimumFraction
    }
}

extension WorldScene {
    /// A random square crop with side in `settings`' range, bilinearly resampled to the
    /// scene's size (labels by nearest neighbour), captioned with the classes covering at
    /// least `settings.minimumFraction` of it; smaller ones become ignore (255). Nil when no
    /// class is large enough to be named.
    public func randomCrop(_ settings: WorldCropSettings, rng: inout WorldRandom) -> WorldScene? {
        let S = min(width, height)
        let side = rng.int(min(settings.minimumSide, S)...min(settings.maximumSide, S))
        let x0 = rng.int(0...(width - side)), y0 = rng.int(0...(height - side))
        var counts = [Int](repeating: 0, count: WorldClass.allCases.count)
        for y in y0..<(y0 + side) {
            for x in x0..<(x0 + side) where labels[y * width + x] != WorldClass.ignoreIndex {
                counts[Int(labels[y * width + x])] += 1
            }
        }
        let minimum = max(1, Int((settings.minimumFraction * Float(side * side)).rounded(.up)))
        let named = WorldClass.allCases.filter { counts[$0.rawValue] >= minimum }
        guard !named.isEmpty else { return nil }
        let namedLabels = Set(named.map { UInt8($0.rawValue) })

        // Output pixel (u, v) samples the crop at its pixel centre (align_corners = false).
        let W = width, H = height
        var outPixels = [UInt8](repeating: 0, count: W * H * 3)
        var outLabels = [UInt8](repeating: WorldClass.ignoreIndex, count: W * H)
        let sx = Float(side) / Float(W), sy = Float(side) / Float(H)
        for v in 0..<H {
            let fy = max(0, (Float(v) + 0.5) * sy - 0.5)
            let iy = min(Int(fy), side - 1), jy = min(iy + 1, side - 1), wy = fy - Float(iy)
            for u in 0..<W {
                let fx = max(0, (Float(u) + 0.5) * sx - 0.5)
                let ix = min(Int(fx), side - 1), jx = min(ix + 1, side - 1), wx = fx - Float(ix)
                let p00 = ((y0 + iy) * width + x0 + ix) * 3, p01 = ((y0 + iy) * width + x0 + jx) * 3
                let p10 = ((y0 + jy) * width + x0 + ix) * 3, p11 = ((y0 + jy) * width + x0 + jx) * 3
                for ch in 0..<3 {
                    let top = Float(pixels[p00 + ch]) * (1 - wx) + Float(pixels[p01 + ch]) * wx
                    let bottom = Float(pixels[p10 + ch]) * (1 - wx) + Float(pixels[p11 + ch]) * wx
                    outPixels[(v * W + u) * 3 + ch] = UInt8(max(0, min(255, (top * (1 - wy) + bottom * wy).rounded())))
                }
                let ny = min(side - 1, Int((Float(v) + 0.5) * sy)), nx = min(side - 1, Int((Float(u) + 0.5) * sx))
                let label = labels[(y0 + ny) * width + x0 + nx]
                if namedLabels.contains(label) { outLabels[v * W + u] = label }
            }
        }
        let caption = WorldCaption.make(classes: named, instances: [:], kind: kind, vocabulary: vocabulary, rng: &rng)
        return WorldScene(index: index, width: W, height: H, pixels: outPixels, labels: outLabels,
                          classes: named, captionClasses: named, caption: caption, kind: kind, vocabulary: vocabulary)
    }
}
