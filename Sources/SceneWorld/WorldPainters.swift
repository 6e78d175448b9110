import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// Paints the elements scenes are made of -- sky, clouds, mountains, ground textures, trees,
/// buildings, cars, boats -- each with its own colour range and texture, onto a canvas.
///
/// Colours vary per scene and per pixel so that no single colour identifies a class, and
/// they overlap where real ones do (grass and tree crowns, sky and water, snow and cloud).
struct WorldSceneBuilder {
    var canvas: WorldCanvas
    var rng: WorldRandom
    let noise: WorldNoise
    let biases: WorldBiases
    /// The classes painted things are labelled with (a standard world draws a pine as a tree).
    let vocabulary: WorldVocabulary
    let w: Float
    let h: Float
    /// Horizon row at the image centre, and its slope (rows per column).
    var horizonY: Float = 0
    var tilt: Float = 0
    /// How many instances of each countable thing were painted (for caption plurals).
    var instances: [WorldClass: Int] = [:]

    init(size: Int, biases: WorldBiases, vocabulary: WorldVocabulary = .standard, rng: WorldRandom) {
        canvas = WorldCanvas(width: size, height: size)
        self.rng = rng
        noise = WorldNoise(seed: self.rng.next())
        self.biases = biases
        self.vocabulary = vocabulary
        w = Float(size)
        h = Float(size)
    }

    /// Horizon row at column x.
    @inline(__always) func horizon(_ x: Float) -> Float { horizonY + tilt * (x - w / 2) }

    /// Depth cue in (0, 1]: 0 at the horizon, 1 at the bottom edge.
    @inline(__always) func depth(_ x: Float, _ y: Float) -> Float {
        let hy = horizon(x)
        return max(0.02, min(1, (y - hy) / max(1, h - hy)))
    }

    mutating func count(_ cls: WorldClass, _ n: Int = 1) { instances[cls, default: 0] += n }

    /// A colour near `base`, each channel jittered by up to `spread` (0...255 units).
    mutating func jitter(_ base: WorldColour, _ spread: Float) -> WorldColour {
        let j = WorldColour(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)) * spread / 255
        let shade = rng.uniform(-0.5, 0.5) * spread / 255
        return clamped01(base + j + WorldColour(repeating: shade))
    }

    /// A grey near `base`: brightness varies by up to 25%, hue by a few units only.
    mutating func greyJitter(_ base: WorldColour) -> WorldColour {
        jitter(base * rng.uniform(0.75, 1.25), 6)
    }

    /// Chooses a horizon from the biases: its height, and a tilt now and then.
    mutating func chooseHorizon() {
        horizonY = h * rng.uniform(biases.horizon.lowerBound, biases.horizon.upperBound)
        tilt = rng.chance(biases.tiltProbability) ? rng.uniform(-biases.maxTilt, biases.maxTilt) : 0
    }

    // MARK: sky and clouds

    /// Sky over the whole frame: a vertical gradient (clear, overcast or sunset) with haze.
    mutating func paintSky() {
        let style = rng.weightedIndex([0.6, 0.25, 0.15])
        let top: WorldColour, low: WorldColour
        switch style {
        case 0: top = jitter(rgb(70, 130, 215), 30); low = jitter(rgb(170, 205, 240), 20)
        case 1: top = jitter(rgb(150, 158, 172), 25); low = jitter(rgb(195, 200, 208), 20)
        default: top = jitter(rgb(95, 95, 165), 30); low = jitter(rgb(240, 160, 100), 30)
        }
        let noise = self.noise, hy = max(horizonY, h * 0.15), tilt = self.tilt, w = self.w
        canvas.paintAll(.sky) { x, y in
            let rowHorizon = hy + tilt * (Float(x) - w / 2)
            let t = min(1, max(0, Float(y) / max(1, rowHorizon)))
            let haze = (noise.fbm(Float(x) / 40 + 300, Float(y) / 25, octaves: 2) - 0.5) * 0.06
            return clamped01(mix(top, low, powf(t, 0.8)) + WorldColour(repeating: haze))
        }
    }

    /// Cloud banks: thresholded, horizontally stretched fBm in the sky above the horizon.
    mutating func paintClouds() {
        let cover = rng.uniform(0.15, 0.45)
        let threshold = 1 - cover
        let light = jitter(rgb(245, 245, 248), 10), shadow = jitter(rgb(165, 170, 182), 20)
        let scale = w * rng.uniform(0.18, 0.35)
        let noise = self.noise, builder = self
        let n = canvas.paintAll(.cloud, inside: { x, y in
            guard Float(y) < builder.horizon(Float(x)) - 2 else { return false }
            return noise.fbm(Float(x) / (scale * 1.8) + 50, Float(y) / scale + 50, octaves: 4) > threshold * 0.62 + 0.2
        }) { x, y in
            let v = noise.fbm(Float(x) / (scale * 1.8) + 50, Float(y) / scale + 50, octaves: 4)
            let body = min(1, (v - (threshold * 0.62 + 0.2)) * 6)
            let underside = min(1, max(0, noise.value(Float(x) / 6, Float(y) / 4 + 90)))
            return mix(shadow, light, body * (0.7 + 0.3 * underside))
        }
        if n > 0 { count(.cloud, 2) }
    }

    // MARK: mountains

    /// A mountain range standing on the horizon; the peaks taller than `snowLine` of the
    /// range's height carry snow when `snowy`.
    mutating func paintMountains(height: ClosedRange<Float>, snowy: Bool) {
        let amplitude = h * rng.uniform(height.lowerBound, height.upperBound)
        let rock = jitter(rng.pick([rgb(110, 115, 135), rgb(120, 100, 85), rgb(95, 105, 120), rgb(130, 125, 140)]), 20)
        let dark = rock * 0.6
        let snowColour = jitter(rgb(238, 242, 250), 10)
        let snowLine = rng.uniform(0.45, 0.7)
        let period = w * rng.uniform(0.25, 0.5)
        let noise = self.noise, builder = self
        func ridge(_ x: Float) -> Float {
            let r = noise.fbm(x / period + 200, 7.5, octaves: 5, gain: 0.55)
            return builder.horizon(x) - amplitude * min(1, max(0.05, (r - 0.2) * 1.6))
        }
        var rows = [Float](repeating: 0, count: canvas.width)
        for x in 0..<canvas.width { rows[x] = ridge(Float(x)) }
        let mountainPixels = canvas.paintAll(.mountain, inside: { x, y in
            Float(y) >= rows[x] && Float(y) < builder.horizon(Float(x)) + 1
        }) { x, y in
            let fx = Float(x), fy = Float(y)
            let rockNoise = noise.fbm(fx / 5 + 400, fy / 5, octaves: 3)
            let height = (builder.horizon(fx) - fy) / max(1, amplitude)
            let lit = (noise.fbm(fx / 9 + 410, fy / 14, octaves: 2) - 0.5) * 0.5 + height * 0.25
            return clamped01(mix(dark, rock, 0.6 + lit) * (0.85 + 0.3 * rockNoise))
        }
        guard mountainPixels > 0 else { return }
        count(.mountain, 2)
        guard snowy else { return }
        canvas.paintAll(.snow, inside: { x, y in
            let fx = Float(x), fy = Float(y)
            guard fy >= rows[x], fy < builder.horizon(fx) else { return false }
            let height = (builder.horizon(fx) - fy) / max(1, amplitude)
            return height > snowLine + (noise.value(fx / 3 + 600, fy / 3) - 0.5) * 0.25
        }) { x, y in
            let shade = noise.fbm(Float(x) / 4 + 620, Float(y) / 4, octaves: 2)
            return clamped01(snowColour * (0.82 + 0.22 * shade) + rgb(0, 0, 12) * (1 - shade))
        }
    }

    // MARK: ground textures

    /// Grass: green (or dry) with vertical blade streaks finer towards the horizon.
    func grassTexture(base: WorldColour, dry: WorldColour) -> (Int, Int) -> WorldColour {
        let noise = self.noise, builder = self
        return { x, y in
            let fx = Float(x), fy = Float(y)
            let d = builder.depth(fx, fy)
            let blades = noise.value(fx * 0.9 / (0.3 + d), fy * 0.25 + 700)
            let patches = noise.fbm(fx / 18 + 720, fy / 12, octaves: 3)
            return clamped01(mix(base, dry, max(0, patches - 0.45) * 1.6) * (0.72 + 0.5 * blades))
        }
    }

    /// Sand: fine grain and soft dune ripples.
    func sandTexture(base: WorldColour) -> (Int, Int) -> WorldColour {
        let noise = self.noise
        return { x, y in
            let fx = Float(x), fy = Float(y)
            let grain = noise.value(fx * 0.8 + 800, fy * 0.8)
            let dunes = sinf(fx * 0.15 + fy * 0.6 + 4 * noise.fbm(fx / 20 + 810, fy / 20, octaves: 2))
            return clamped01(base * (0.9 + 0.14 * grain + 0.05 * dunes))
        }
    }

    /// Snow on the ground: bright with blue shadows.
    func snowTexture(base: WorldColour) -> (Int, Int) -> WorldColour {
        let noise = self.noise
        return { x, y in
            let fx = Float(x), fy = Float(y)
            let drift = noise.fbm(fx / 14 + 900, fy / 8, octaves: 3)
            return clamped01(mix(base * 0.78 + rgb(0, 5, 25), base, drift + 0.2))
        }
    }

    /// Asphalt: dark grey grain with faint patches.
    func asphaltTexture(base: WorldColour) -> (Int, Int) -> WorldColour {
        let noise = self.noise
        return { x, y in
            let fx = Float(x), fy = Float(y)
            let grain = noise.value(fx * 1.1 + 1000, fy * 1.1)
            let patches = noise.fbm(fx / 15 + 1010, fy / 15, octaves: 2)
            return clamped01(base * (0.85 + 0.18 * grain + 0.2 * (patches - 0.5)))
        }
    }

    /// Paints a ground class on every pixel below the horizon.
    mutating func paintGround(_ cls: WorldClass, texture: (Int, Int) -> WorldColour) {
        let builder = self
        canvas.paintAll(cls, inside: { x, y in Float(y) >= builder.horizon(Float(x)) }, colour: texture)
    }

    /// Water between the horizon and `shore(x)` (or everywhere `inside` allows), with
    /// ripples; when `reflective`, it mirrors what was painted above the horizon. `cls` is
    /// water (lakes, ponds) or its sibling the sea (beaches): the same ripples either way.
    mutating func paintWater(_ cls: WorldClass = .water, reflective: Bool, inside: @escaping (Int, Int) -> Bool) {
        let base = jitter(rng.pick([rgb(40, 90, 150), rgb(35, 110, 130), rgb(60, 100, 140), rgb(30, 70, 110)]), 25)
        let reflectivity = reflective ? rng.uniform(0.45, 0.75) : 0
        let frequency = rng.uniform(1.2, 2.2)
        let before = canvas, noise = self.noise, builder = self
        canvas.paintAll(cls, inside: inside) { x, y in
            let fx = Float(x), fy = Float(y)
            let d = builder.depth(fx, fy)
            let ripple = sinf(fy * frequency / (0.15 + d) + 5 * noise.fbm(fx / 12 + 1100, fy / 3, octaves: 2))
            var colour = base * (0.88 + 0.12 * ripple)
            if reflectivity > 0 {
                let mirrored = 2 * builder.horizon(fx) - fy + ripple * 1.5
                let reflected = before.colour(Int(fx + ripple * 1.2), Int(mirrored))
                colour = mix(colour, reflected * 0.9 + base * 0.1, reflectivity * (1 - 0.4 * d))
            }
            let glint = max(0, ripple - 0.85) * 2 * noise.value(fx / 2 + 1120, fy)
            return clamped01(colour + WorldColour(repeating: glint * 0.3))
        }
    }

    /// A road in perspective from a vanishing point on the horizon to the bottom edge, with
    /// dashed centre marks; `curve` bends it sideways. Returns its centre and half-width at
    /// a depth t in [0, 1] (for placing cars on it).
    mutating func paintRoad(bottomHalfWidth: Float, curve: Float) -> (Float) -> (centre: Float, halfWidth: Float) {
        let vx = w * rng.uniform(0.3, 0.7), bottom = w * rng.uniform(0.25, 0.75)
        let hy = horizon(vx)
        let asphalt = asphaltTexture(base: greyJitter(rgb(95, 95, 100)))
        let marking = jitter(rng.chance(0.7) ? rgb(235, 235, 225) : rgb(230, 200, 70), 10)
        let edges = rng.chance(0.5)
        let phase = rng.uniform(0, 1)
        let h = self.h
        let geometry: (Float) -> (centre: Float, halfWidth: Float) = { t in
            (vx + (bottom - vx) * t + curve * sinf(t * Float.pi) * 0.5, 0.6 + bottomHalfWidth * t)
        }
        canvas.paintAll(.road, inside: { x, y in
            let t = (Float(y) - hy) / max(1, h - hy)
            guard t >= 0 else { return false }
            let g = geometry(t)
            return abs(Float(x) - g.centre) <= g.halfWidth
        }) { x, y in
            let t = (Float(y) - hy) / max(1, h - hy)
            let g = geometry(t)
            let offset = abs(Float(x) - g.centre) / max(g.halfWidth, 0.5)
            let z = 1 / (t + 0.06)
            let dash = (z * 0.45 + phase).truncatingRemainder(dividingBy: 1) < 0.5
            if dash && offset < 0.035 + 0.3 / max(g.halfWidth, 1) { return marking }
            if edges && offset > 0.9 && offset < 0.96 { return marking * 0.95 }
            return asphalt(x, y)
        }
        return geometry
    }

    // MARK: objects

    /// A tree standing at (x, baseY) of height `size`: a trunk and a leafy crown, or a
    /// conifer's stacked tiers (a pine, the tree's sibling class).
    mutating func paintTree(x cx: Float, baseY: Float, size: Float, conifer: Bool) {
        let cls = vocabulary.label(conifer ? .pine : .tree)
        let leaf = jitter(conifer ? rgb(35, 80, 45) : rng.pick([rgb(55, 110, 45), rgb(75, 125, 50), rgb(45, 95, 50), rgb(150, 110, 40)]), 22)
        let bark = jitter(rgb(90, 65, 40), 15)
        let noise = self.noise, off = rng.uniform(0, 500)
        let trunkHalf = max(0.6, size * 0.05)
        canvas.paint(cls, x0: Int(cx - trunkHalf - 1), y0: Int(baseY - size * 0.6), x1: Int(cx + trunkHalf + 2), y1: Int(baseY + 1),
                     inside: { x, y in abs(Float(x) + 0.5 - cx) <= trunkHalf && Float(y) <= baseY }) { x, y in
            bark * (0.8 + 0.3 * noise.value(Float(x) * 2 + off, Float(y) * 0.5))
        }
        if conifer {
            let top = baseY - size, bottom = baseY - size * 0.15
            let half = size * 0.28
            canvas.paint(cls, x0: Int(cx - half - 1), y0: Int(top), x1: Int(cx + half + 2), y1: Int(bottom + 1), inside: { x, y in
                let t = (Float(y) - top) / max(1, bottom - top)
                let tier = (t * 4).truncatingRemainder(dividingBy: 1)
                return abs(Float(x) + 0.5 - cx) <= half * (0.35 * t + 0.65 * t * (0.5 + 0.5 * tier)) + 0.5
            }) { x, y in
                leaf * (0.65 + 0.55 * noise.value(Float(x) * 0.8 + off, Float(y) * 0.8))
            }
        } else {
            let rx = size * rng.uniform(0.28, 0.4), ry = size * rng.uniform(0.3, 0.4)
            let cy = baseY - size + ry
            canvas.paint(cls, x0: Int(cx - rx * 1.3), y0: Int(cy - ry * 1.3), x1: Int(cx + rx * 1.3 + 1), y1: Int(cy + ry * 1.3 + 1), inside: { x, y in
                let dx = (Float(x) + 0.5 - cx) / rx, dy = (Float(y) + 0.5 - cy) / ry
                return dx * dx + dy * dy < 1 + 0.6 * (noise.value(Float(x) * 0.35 + off, Float(y) * 0.35) - 0.5)
            }) { x, y in
                let dy = (Float(y) - cy) / ry
                let leaves = noise.value(Float(x) * 0.7 + off, Float(y) * 0.7 + off)
                return clamped01(leaf * (0.6 + 0.6 * leaves) * (1 - 0.25 * max(0, dy)))
            }
        }
        count(cls)
    }

    /// A building on the ground line `baseY`, from x0 to x1 and up to `top`, with a grid of
    /// windows (some lit) and, for a house (the building's sibling class), a pitched roof.
    mutating func paintBuilding(x0: Float, x1: Float, top: Float, baseY: Float, house: Bool) {
        let cls = vocabulary.label(house ? .house : .building)
        let wall = jitter(rng.pick([rgb(150, 150, 155), rgb(165, 85, 65), rgb(205, 185, 150), rgb(120, 130, 145), rgb(225, 225, 215)]), 25)
        let glass = jitter(rgb(55, 75, 100), 20), lit = jitter(rgb(235, 210, 120), 15)
        let roof = jitter(rng.pick([rgb(140, 60, 45), rgb(80, 70, 70), rgb(100, 60, 40)]), 15)
        let spacingX = max(3, (x1 - x0) / Float(rng.int(2...6))), spacingY = Float(rng.int(4...7)) * h / 96
        let windowFill = rng.uniform(0.45, 0.65)
        let litChance: Float = rng.uniform(0, 0.35)
        let noise = self.noise, off = rng.uniform(0, 500), seedBits = rng.next()
        let roofHeight = house ? (x1 - x0) * 0.4 : 0
        canvas.paint(cls, x0: Int(x0), y0: Int(top - roofHeight), x1: Int(x1 + 1), y1: Int(baseY + 1), inside: { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            guard fx >= x0, fx <= x1, fy <= baseY else { return false }
            if fy >= top { return true }
            let mid = (x0 + x1) / 2
            return fy >= top - roofHeight * (1 - abs(fx - mid) / max(1, (x1 - x0) / 2))
        }) { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            if fy < top { return roof * (0.85 + 0.25 * noise.value(fx + off, fy * 2)) }
            let u = (fx - x0) / spacingX, v = (fy - top - 1) / spacingY
            let inWindow = u.truncatingRemainder(dividingBy: 1) > (1 - windowFill) / 2
                && u.truncatingRemainder(dividingBy: 1) < (1 + windowFill) / 2
                && v.truncatingRemainder(dividingBy: 1) > 0.3 && v > 0 && fy < baseY - 1
            if inWindow {
                var bits = seedBits ^ (UInt64(Int(u)) &* 0x9E37_79B9) ^ (UInt64(Int(v)) &* 0x85EB_CA6B)
                bits = (bits ^ (bits >> 29)) &* 0xBF58_476D_1CE4_E5B9
                let isLit = Float(bits >> 40) / 16_777_216 < litChance
                return isLit ? lit : glass * (0.8 + 0.4 * noise.value(fx * 0.5 + off, fy * 0.5))
            }
            return clamped01(wall * (0.88 + 0.2 * noise.value(fx * 0.6 + off, fy * 0.6)))
        }
        count(cls)
    }

    /// A car seen from the side, wheels touching `baseY`, `length` pixels long.
    mutating func paintCar(x cx: Float, baseY: Float, length: Float) {
        let body = jitter(rng.pick([rgb(190, 30, 35), rgb(30, 60, 150), rgb(230, 230, 230), rgb(30, 30, 35), rgb(220, 180, 30), rgb(160, 165, 170), rgb(40, 120, 70)]), 20)
        let glass = jitter(rgb(60, 80, 100), 15)
        let facing: Float = rng.chance(0.5) ? 1 : -1
        let wheelR = max(1, length * 0.11)
        let bodyBottom = baseY - wheelR * 0.7, bodyTop = bodyBottom - length * 0.2
        let cabinTop = bodyTop - length * 0.17
        let half = length / 2
        let noise = self.noise
        canvas.paint(.car, x0: Int(cx - half - 1), y0: Int(cabinTop - 1), x1: Int(cx + half + 2), y1: Int(baseY + 1), inside: { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            let u = (fx - cx) * facing / half // -1 back ... 1 front
            if fy >= bodyTop && fy <= bodyBottom && abs(u) <= 1 - (fy < bodyTop + length * 0.05 ? 0.05 : 0) { return true }
            if fy >= cabinTop && fy < bodyTop {
                let t = (fy - cabinTop) / max(1, bodyTop - cabinTop)
                return u >= -0.55 - 0.1 * t && u <= 0.25 + 0.25 * t
            }
            for wx in [-0.6, 0.6] as [Float] {
                let dx = fx - (cx + wx * half), dy = fy - (baseY - wheelR)
                if dx * dx + dy * dy <= wheelR * wheelR { return true }
            }
            return false
        }) { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            let u = (fx - cx) * facing / half
            for wx in [-0.6, 0.6] as [Float] {
                let dx = fx - (cx + wx * half), dy = fy - (baseY - wheelR)
                let r2 = dx * dx + dy * dy
                if r2 <= wheelR * wheelR { return r2 < wheelR * wheelR * 0.2 ? rgb(150, 150, 150) : rgb(25, 25, 28) }
            }
            if fy < bodyTop {
                let t = (fy - cabinTop) / max(1, bodyTop - cabinTop)
                let inGlass = u > -0.5 - 0.1 * t && u < 0.2 + 0.25 * t && t > 0.15 && abs(u + 0.15) > 0.03
                return inGlass ? glass * (0.8 + 0.5 * t) : body
            }
            if u > 0.9 && fy < bodyTop + length * 0.08 { return rgb(250, 240, 180) }
            if u < -0.93 && fy < bodyTop + length * 0.08 { return rgb(200, 30, 30) }
            let t = (fy - bodyTop) / max(1, bodyBottom - bodyTop)
            return clamped01(body * (1.15 - 0.4 * t) + WorldColour(repeating: 0.04 * noise.value(fx, fy)))
        }
        count(.car)
    }

    /// A car seen from above, centred at (cx, cy), along the x axis when `horizontal`.
    mutating func paintCarFromAbove(x cx: Float, y cy: Float, length: Float, horizontal: Bool) {
        let body = jitter(rng.pick([rgb(190, 30, 35), rgb(30, 60, 150), rgb(230, 230, 230), rgb(30, 30, 35), rgb(220, 180, 30)]), 20)
        let glass = jitter(rgb(50, 65, 85), 15)
        paintFromAbove(.car, x: cx, y: cy, length: length, width: length * 0.46, horizontal: horizontal) { along, across in
            if (abs(along - 0.3) < 0.12 || abs(along + 0.45) < 0.08) && across < 0.8 { return glass }
            return body * (1.05 - 0.25 * across)
        }
    }

    /// A vehicle seen from above: a `length` x `width` rectangle centred at (cx, cy), along the
    /// x axis when `horizontal`, coloured by `colour(along, across)` with along in -1...1
    /// (back to front) and across in 0...1 (centre line to side).
    mutating func paintFromAbove(_ cls: WorldClass, x cx: Float, y cy: Float, length: Float, width: Float, horizontal: Bool,
                                 facing: Float = 1, colour: @escaping (Float, Float) -> WorldColour) {
        let halfL = length / 2, halfW = width / 2
        canvas.paint(cls, x0: Int(cx - halfL - 1), y0: Int(cy - halfL - 1), x1: Int(cx + halfL + 2), y1: Int(cy + halfL + 2), inside: { x, y in
            let along = horizontal ? Float(x) + 0.5 - cx : Float(y) + 0.5 - cy
            let across = horizontal ? Float(y) + 0.5 - cy : Float(x) + 0.5 - cx
            return abs(along) <= halfL && abs(across) <= halfW
        }) { x, y in
            colour((horizontal ? Float(x) + 0.5 - cx : Float(y) + 0.5 - cy) * facing / halfL,
                   abs(horizontal ? Float(y) + 0.5 - cy : Float(x) + 0.5 - cx) / halfW)
        }
        count(cls)
    }

    /// A truck seen from the side, wheels touching `baseY`, `length` pixels long: a cab with a
    /// windscreen at the front and a tall cargo box behind it (the car's sibling class).
    mutating func paintTruck(x cx: Float, baseY: Float, length: Float) {
        let cab = jitter(rng.pick([rgb(200, 40, 35), rgb(30, 70, 160), rgb(235, 235, 235), rgb(230, 190, 40), rgb(40, 110, 60)]), 20)
        let box = jitter(rng.pick([rgb(225, 225, 220), rgb(170, 175, 180), rgb(140, 40, 35), rgb(60, 90, 140), rgb(200, 160, 60)]), 18)
        let glass = jitter(rgb(60, 80, 100), 15)
        let facing: Float = rng.chance(0.5) ? 1 : -1
        let wheelR = max(1, length * 0.075)
        let chassis = baseY - wheelR * 0.8
        let boxTop = chassis - length * 0.34, cabTop = chassis - length * 0.27
        let half = length / 2
        let noise = self.noise
        canvas.paint(.truck, x0: Int(cx - half - 1), y0: Int(boxTop - 1), x1: Int(cx + half + 2), y1: Int(baseY + 1), inside: { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            let u = (fx - cx) * facing / half // -1 back ... 1 front
            if abs(u) <= 1 && fy > chassis - length * 0.04 && fy <= chassis { return true }
            if u >= -1 && u <= 0.42 && fy >= boxTop && fy <= chassis { return true }
            if u > 0.46 && u <= 1 && fy >= cabTop + (u > 0.9 ? length * 0.04 : 0) && fy <= chassis { return true }
            for wx in [-0.75, -0.5, 0.72] as [Float] {
                let dx = fx - (cx + wx * half * facing), dy = fy - (baseY - wheelR)
                if dx * dx + dy * dy <= wheelR * wheelR { return true }
            }
            return false
        }) { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            let u = (fx - cx) * facing / half
            for wx in [-0.75, -0.5, 0.72] as [Float] {
                let dx = fx - (cx + wx * half * facing), dy = fy - (baseY - wheelR)
                let r2 = dx * dx + dy * dy
                if r2 <= wheelR * wheelR { return r2 < wheelR * wheelR * 0.2 ? rgb(150, 150, 150) : rgb(25, 25, 28) }
            }
            if fy > chassis - length * 0.04 { return rgb(40, 40, 45) }
            if u <= 0.44 {
                let t = (fy - boxTop) / max(1, chassis - boxTop)
                let seam = (u * 6).truncatingRemainder(dividingBy: 1) < 0.08 ? Float(0.85) : 1
                return clamped01(box * seam * (1.05 - 0.2 * t) + WorldColour(repeating: 0.03 * noise.value(fx, fy)))
            }
            let t = (fy - cabTop) / max(1, chassis - cabTop)
            if t < 0.45 && u > 0.55 && u < 0.95 { return glass * (0.8 + 0.5 * t) }
            if u > 0.93 && t > 0.6 { return rgb(250, 240, 180) }
            return clamped01(cab * (1.1 - 0.3 * t))
        }
        count(.truck)
    }

    /// A truck seen from above, centred at (cx, cy), along the x axis when `horizontal`: a
    /// short cab and a long cargo roof.
    mutating func paintTruckFromAbove(x cx: Float, y cy: Float, length: Float, horizontal: Bool) {
        let cab = jitter(rng.pick([rgb(200, 40, 35), rgb(30, 70, 160), rgb(235, 235, 235), rgb(230, 190, 40)]), 20)
        let box = jitter(rng.pick([rgb(225, 225, 220), rgb(170, 175, 180), rgb(60, 90, 140)]), 18)
        let glass = jitter(rgb(50, 65, 85), 15)
        let facing: Float = rng.chance(0.5) ? 1 : -1
        paintFromAbove(.truck, x: cx, y: cy, length: length, width: length * 0.34, horizontal: horizontal, facing: facing) { along, across in
            if along > 0.72 { return along > 0.8 && along < 0.9 && across < 0.8 ? glass : cab }
            if along > 0.64 { return rgb(40, 40, 45) }
            return box * (1.05 - 0.2 * across)
        }
    }

    /// A boat floating with its waterline at `waterY`: a hull and a sail or a cabin.
    mutating func paintBoat(x cx: Float, waterY: Float, length: Float) {
        let hull = jitter(rng.pick([rgb(235, 235, 235), rgb(180, 40, 40), rgb(40, 60, 120), rgb(140, 95, 60)]), 20)
        let trim = jitter(rng.pick([rgb(30, 50, 110), rgb(200, 60, 40), rgb(240, 240, 240)]), 15)
        let sail = rng.chance(0.5)
        let canvasColour = jitter(rgb(240, 235, 220), 12)
        let facing: Float = rng.chance(0.5) ? 1 : -1
        let half = length / 2, hullTop = waterY - length * 0.16, hullBottom = waterY + length * 0.03
        let mastTop = waterY - length * 0.95
        canvas.paint(.boat, x0: Int(cx - half - 1), y0: Int(sail ? mastTop : hullTop - length * 0.15), x1: Int(cx + half + 2), y1: Int(hullBottom + 1), inside: { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            let u = (fx - cx) * facing
            if fy >= hullTop && fy <= hullBottom {
                let t = (fy - hullTop) / max(1, hullBottom - hullTop)
                return u >= -half * (1 - 0.15 * t) && u <= half * (1 - 0.45 * t)
            }
            if sail {
                let t = (fy - mastTop) / max(1, hullTop - mastTop)
                return fy >= mastTop && fy < hullTop && (abs(u) < 0.6 || (u > 0 && u < half * 0.8 * t))
            }
            return fy >= hullTop - length * 0.15 && fy < hullTop && u > -half * 0.5 && u < half * 0.2
        }) { x, y in
            let fx = Float(x) + 0.5, fy = Float(y) + 0.5
            if fy >= hullTop { return fy < hullTop + length * 0.04 ? trim : hull }
            if sail { return abs((fx - cx) * facing) < 0.6 ? rgb(90, 70, 50) : canvasColour }
            return ((fx - cx) * facing).truncatingRemainder(dividingBy: 3) < 1.5 ? rgb(60, 80, 100) : hull * 0.95
        }
        count(.boat)
    }
}

/// Clamps each channel to [0, 1].
@inline(__always) func clamped01(_ c: WorldColour) -> WorldColour {
    c.replacing(with: 0, where: c .< 0).replacing(with: 1, where: c .> 1)
}
