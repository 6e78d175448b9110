import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Smooth 2-D value noise and its fractal sum (fBm), hashed from a seed: the raw material of
/// every texture in the scene world (cloud banks, grass blades, leaves, ripples, rock).
///
/// `value(x, y)` is in [0, 1) and varies over about one unit; `fbm` adds octaves of doubling
/// frequency and halving amplitude and stays in [0, 1).
///
/// ```swift
/// let noise = WorldNoise(seed: rng.next())
/// let n = noise.fbm(x / 12, y / 12, octaves: 4)
/// ```
public struct WorldNoise: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// Hash of a lattice point to [0, 1).
    @inline(__always)
    func lattice(_ ix: Int32, _ iy: Int32) -> Float {
        var h = seed ^ (UInt64(UInt32(bitPattern: ix)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= UInt64(UInt32(bitPattern: iy)) &* 0xC2B2_AE3D_27D4_EB4F
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return Float(h & 0xFF_FFFF) * (1.0 / 16_777_216.0)
    }

    /// Value noise: lattice values blended with the smoothstep 3t^2 - 2t^3.
    public func value(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let ix = Int32(truncatingIfNeeded: Int(fx)), iy = Int32(truncatingIfNeeded: Int(fy))
        let tx = x - fx, ty = y - fy
        let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy), b = lattice(ix &+ 1, iy)
        let c = lattice(ix, iy &+ 1), d = lattice(ix &+ 1, iy &+ 1)
        let top = a + (b - a) * sx, bottom = c + (d - c) * sx
        return top + (bottom - top) * sy
    }

    /// Fractal sum: sum_o gain^o * value(2^o x + shift_o, 2^o y + shift_o), normalised to [0, 1).
    public func fbm(_ x: Float, _ y: Float, octaves: Int = 4, gain: Float = 0.5) -> Float {
        var sum: Float = 0, amplitude: Float = 1, total: Float = 0, frequency: Float = 1
        for o in 0..<octaves {
            let shift = Float(o) * 17.31
            sum += amplitude * value(x * frequency + shift, y * frequency - shift)
            total += amplitude
            amplitude *= gain
            frequency *= 2
        }
        return sum / total
    }
}
