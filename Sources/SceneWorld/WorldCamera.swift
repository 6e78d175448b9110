import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// Turns a painted canvas into camera-like RGB bytes: a light lens blur on some shots,
/// exposure and white-balance drift, a vignette now and then, and sensor grain.
///
/// Labels are untouched: only colours change, so the mask stays exact.
enum WorldCamera {
    static func develop(_ canvas: WorldCanvas, rng: inout WorldRandom) -> [UInt8] {
        let width = canvas.width, height = canvas.height
        var colours = canvas.colours
        if rng.chance(0.6) {
            // 3x3 blur blended with the sharp image: c' = (1 - s) c + s * mean3x3(c).
            let strength = rng.uniform(0.3, 0.8)
            for y in 0..<height {
                for x in 0..<width {
                    var sum = WorldColour.zero
                    for dy in -1...1 { for dx in -1...1 { sum += canvas.colour(x + dx, y + dy) } }
                    colours[y * width + x] = mix(canvas.colours[y * width + x], sum / 9, strength)
                }
            }
        }
        let exposure = rng.uniform(0.82, 1.15)
        let balance = WorldColour(rng.uniform(0.93, 1.07), rng.uniform(0.95, 1.05), rng.uniform(0.93, 1.07))
        let vignette: Float = rng.chance(0.3) ? rng.uniform(0.1, 0.3) : 0
        let grain = rng.uniform(0.008, 0.025)
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
