import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The camera stage's settings: how often and how strongly shots are blurred, the ranges their
/// exposure and white balance drift in, the vignette, and the sensor grain. A site's camera
/// differs from the training world's in these (a darker, warmer, softer, noisier camera is a
/// domain shift with exact masks: only colours change).
///
/// ```swift
/// let dusk = WorldGenerator(seed: 4242, camera: .dusk)   // same scenes and masks, other pixels
/// ```
public struct WorldCameraSettings: Sendable, Equatable, Codable {
    /// Probability that a shot is blurred (3x3 mean blended with the sharp image).
    public var blurProbability: Float
    /// Range of the blend weight of the blur.
    public var blurStrength: ClosedRange<Float>
    /// Range of the exposure factor.
    public var exposure: ClosedRange<Float>
    /// Ranges of the red, green and blue white-balance gains.
    public var red: ClosedRange<Float>
    public var green: ClosedRange<Float>
    public var blue: ClosedRange<Float>
    /// Probability of a vignette, and the range of its strength.
    public var vignetteProbability: Float
    public var vignette: ClosedRange<Float>
    /// Range of the standard deviation of the Gaussian sensor grain (colours in 0...1).
    public var grain: ClosedRange<Float>

    public init(blurProbability: Float, blurStrength: ClosedRange<Float>, exposure: ClosedRange<Float>,
                red: ClosedRange<Float>, green: ClosedRange<Float>, blue: ClosedRange<Float>,
                vignetteProbability: Float, vignette: ClosedRange<Float>, grain: ClosedRange<Float>) {
        self.blurProbability = blurProbability; self.blurStrength = blurStrength; self.exposure = exposure
        self.red = red; self.green = green; self.blue = blue
        self.vignetteProbability = vignetteProbability; self.vignette = vignette; self.grain = grain
    }

    /// The training world's camera: blur on 60 % of shots, exposure 0.82...1.15, white balance
    /// within a few percent, a vignette on 30 %, light grain.
    public static let standard = WorldCameraSettings(
        blurProbability: 0.6, blurStrength: 0.3...0.8, exposure: 0.82...1.15,
        red: 0.93...1.07, green: 0.95...1.05, blue: 0.93...1.07,
        vignetteProbability: 0.3, vignette: 0.1...0.3, grain: 0.008...0.025)

    /// A site camera at dusk: under-exposed (0.5...0.75), warm (red up, blue down by 10 to
    /// 25 %), always soft, often vignetted, and three times the grain.
    public static let dusk = WorldCameraSettings(
        blurProbability: 1, blurStrength: 0.6...1.0, exposure: 0.5...0.75,
        red: 1.08...1.2, green: 0.97...1.03, blue: 0.75...0.9,
        vignetteProbability: 0.7, vignette: 0.2...0.4, grain: 0.04...0.07)

    /// The presets by name, as `reclip world --camera` takes them.
    public static let presets: [(name: String, settings: WorldCameraSettings)] = [("standard", .standard), ("dusk", .dusk)]
}

/// Turns a painted canvas into camera-like RGB bytes: a light lens blur on some shots,
/// exposure and white-balance drift, a vignette now and then, and sensor grain.
///
/// Labels are untouched: only colours change, so the mask stays exact.
enum WorldCamera {
    static func develop(_ canvas: WorldCanvas, settings s: WorldCameraSettings = .standard, rng: inout WorldRandom) -> [UInt8] {
        let width = canvas.width, height = canvas.height
        var colours = canvas.colours
        if rng.chance(s.blurProbability) {
            // 3x3 blur blended with the sharp image: c' = (1 - s) c + s * mean3x3(c).
            let strength = rng.uniform(s.blurStrength.lowerBound, s.blurStrength.upperBound)
            for y in 0..<height {
                for x in 0..<width {
                    var sum = WorldColour.zero
                    for dy in -1...1 { for dx in -1...1 { sum += canvas.colour(x + dx, y + dy) } }
                    colours[y * width + x] = mix(canvas.colours[y * width + x], sum / 9, strength)
                }
            }
        }
        func draw(_ r: ClosedRange<Float>) -> Float { rng.uniform(r.lowerBound, r.upperBound) }
        let exposure = draw(s.exposure)
        let balance = WorldColour(draw(s.red), draw(s.green), draw(s.blue))
        let vignette: Float = rng.chance(s.vignetteProbability) ? draw(s.vignette) : 0
        let grain = draw(s.grain)
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Float(x) - cx) / cx, dy = (Float(y) - cy) / cy
                let fall = 1 - vignette * (dx * dx + dy * dy) / 2
                var c = colours[y * width + x] * balance * (exposure * fall)
                c += WorldColour(rng.normal(), rng.normal(), rng.normal()) * grain
                c = clamped01(c)
                let i = (y * width + x) * 3
                bytes[i] = UInt8((c.x * 255).rounded())
                bytes[i + 1] = UInt8((c.y * 255).rounded())
                bytes[i + 2] = UInt8((c.z * 255).rounded())
            }
        }
        return bytes
    }
}
