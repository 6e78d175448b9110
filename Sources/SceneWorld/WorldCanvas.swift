import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// An RGB colour with channels in [0, 1], as the world's painters use it.
public typealias WorldColour = SIMD3<Float>

/// The picture being painted and its label map, pixel for pixel: every paint call sets a
/// colour and the class it belongs to, so the mask is exact by construction.
///
/// Later paint covers earlier paint (painter's algorithm: sky first, then far to near).
struct WorldCanvas {
    let width: Int
    let height: Int
    /// Colours, row-major.
    var colours: [WorldColour]
    /// Class index per pixel, row-major.
    var labels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        colours = [WorldColour](repeating: .zero, count: width * height)
        labels = [UInt8](repeating: WorldClass.ignoreIndex, count: width * height)
    }

    @inline(__always) func contains(_ x: Int, _ y: Int) -> Bool {
        x >= 0 && y >= 0 && x < width && y < height
    }

    @inline(__always) func colour(_ x: Int, _ y: Int) -> WorldColour {
        colours[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)]
    }

    @inline(__always) func label(_ x: Int, _ y: Int) -> UInt8 { labels[y * width + x] }

    @inline(__always) mutating func set(_ x: Int, _ y: Int, _ cls: WorldClass, _ colour: WorldColour) {
        labels[y * width + x] = UInt8(cls.rawValue)
        colours[y * width + x] = colour
    }

    /// Paints `cls` on every pixel of the box [x0, x1) x [y0, y1) (clipped) where `inside`
    /// holds, coloured by `colour`. Returns the number of pixels painted.
    @discardableResult
    mutating func paint(_ cls: WorldClass, x0: Int, y0: Int, x1: Int, y1: Int,
                        inside: (Int, Int) -> Bool, colour: (Int, Int) -> WorldColour) -> Int {
        var painted = 0
        for y in max(y0, 0)..<max(min(y1, height), max(y0, 0)) {
            for x in max(x0, 0)..<max(min(x1, width), max(x0, 0)) where inside(x, y) {
                set(x, y, cls, colour(x, y))
                painted += 1
            }
        }
        return painted
    }

    /// Paints the whole frame where `inside` holds.
    @discardableResult
    mutating func paintAll(_ cls: WorldClass, inside: (Int, Int) -> Bool = { _, _ in true },
                           colour: (Int, Int) -> WorldColour) -> Int {
        paint(cls, x0: 0, y0: 0, x1: width, y1: height, inside: inside, colour: colour)
    }
}

/// Linear blend a + (b - a) t.
@inline(__always) func mix(_ a: WorldColour, _ b: WorldColour, _ t: Float) -> WorldColour {
    a + (b - a) * t
}

/// A colour from 0...255 components.
@inline(__always) func rgb(_ r: Float, _ g: Float, _ b: Float) -> WorldColour {
    WorldColour(r, g, b) / 255
}
