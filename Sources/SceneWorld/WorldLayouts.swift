import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// How each kind of scene is laid out: which elements, in which order (far to near), where.
extension WorldSceneBuilder {
    mutating func compose(_ kind: WorldSceneKind) {
        switch kind {
        case .street: composeStreet()
        case .countryside: composeCountryside()
        case .lake: composeLake()
        case .beach: composeBeach()
        case .alpine: composeAlpine()
        case .closeUp: composeCloseUp()
        case .aerial: composeAerial()
        }
    }

    /// Sky, then clouds with the configured probability.
    mutating func paintSkyAndClouds() {
        paintSky()
        if rng.chance(biases.cloudProbability) { paintClouds() }
    }

    /// The share of a scene's vehicles that are trucks: most scenes have cars only, some
    /// trucks only, a few both (a scene usually holds one of a sibling pair, as VOC's do).
    /// None in a standard world, which draws nothing for it.
    mutating func chooseTruckShare() -> Float {
        vocabulary == .siblings ? rng.pick([0, 0, 0, 0, 0, 0, 1, 1, 0.5] as [Float]) : 0
    }

    /// Vehicles on a road, far ones first, sized by their depth; each a truck with
    /// probability `truckShare`, else a car.
    mutating func paintCars(on road: (Float) -> (centre: Float, halfWidth: Float), count: Int, lengthScale: Float,
                            truckShare: Float) {
        let depths = (0..<count).map { _ in rng.uniform(0.25, 0.95) }.sorted()
        for t in depths {
            let g = road(t)
            let x = g.centre + rng.uniform(-0.5, 0.5) * g.halfWidth
            let baseY = horizonY + (h - horizonY) * t
            let length = w * lengthScale * (0.25 + 0.9 * t)
            if vocabulary == .siblings && rng.chance(truckShare) {
                paintTruck(x: x, baseY: baseY, length: length * 1.5)
            } else {
                paintCar(x: x, baseY: baseY, length: length)
            }
        }
    }

    /// A row of tree crowns along the horizon (a far tree line): in a sibling world all
    /// deciduous or all pines, in a standard one mixed (three in ten conifers).
    mutating func paintTreeLine() {
        let pines: Bool? = vocabulary == .siblings ? rng.chance(0.3) : nil
        var x = -w * 0.05
        while x < w * 1.05 {
            let size = h * rng.uniform(0.08, 0.15)
            paintTree(x: x, baseY: horizon(x) + 1, size: size, conifer: pines ?? rng.chance(0.3))
            x += size * rng.uniform(0.35, 0.7)
        }
        let cls = vocabulary.label(pines == true ? .pine : .tree)
        instances[cls] = max(instances[cls] ?? 0, 2)
    }

    /// Trees scattered on the ground between depths `near` (0 = horizon, 1 = bottom), far first.
    mutating func paintScatteredTrees(count: Int, conifer: Bool, depths: ClosedRange<Float> = 0.1...0.8,
                                      avoid: ((Float, Float) -> Bool)? = nil) {
        let ts = (0..<count).map { _ in rng.uniform(depths.lowerBound, depths.upperBound) }.sorted()
        for t in ts {
            let x = rng.uniform(0, w)
            let baseY = horizon(x) + (h - horizon(x)) * t
            if let avoid, avoid(x, t) { continue }
            paintTree(x: x, baseY: baseY, size: h * (0.18 + 0.45 * t), conifer: conifer)
        }
    }

    mutating func composeStreet() {
        chooseHorizon()
        paintSkyAndClouds()
        var x = -rng.uniform(0, w * 0.1)
        while x < w {
            let width = w * rng.uniform(0.14, 0.32)
            if rng.chance(0.2) { x += w * rng.uniform(0.05, 0.15); continue }
            let top = horizon(x) - h * rng.uniform(0.1, 0.45)
            paintBuilding(x0: x, x1: x + width, top: top, baseY: horizon(x + width / 2) + h * 0.03, house: false)
            x += width + (rng.chance(0.5) ? 0 : w * rng.uniform(0.01, 0.04))
        }
        if rng.chance(0.45) {
            paintGround(.grass, texture: grassTexture(base: jitter(rgb(85, 145, 60), 25), dry: jitter(rgb(155, 150, 85), 20)))
        } else {
            paintGround(.road, texture: asphaltTexture(base: greyJitter(rgb(150, 148, 145))))
        }
        let road = paintRoad(bottomHalfWidth: w * rng.uniform(0.3, 0.6), curve: 0)
        if rng.chance(0.4) {
            paintScatteredTrees(count: rng.int(1...3), conifer: false, depths: 0.05...0.6) { x, t in
                abs(x - road(t).centre) < road(t).halfWidth + 2
            }
        }
        if rng.chance(biases.carOnRoad) {
            paintCars(on: road, count: rng.int(1...3), lengthScale: 0.3, truckShare: chooseTruckShare())
        }
    }

    mutating func composeCountryside() {
        chooseHorizon()
        paintSkyAndClouds()
        if rng.chance(biases.mountainProbability) { paintMountains(height: 0.06...0.25, snowy: rng.chance(0.2)) }
        let grass = grassTexture(base: jitter(rng.pick([rgb(85, 150, 60), rgb(110, 165, 70), rgb(70, 130, 55)]), 25),
                                 dry: jitter(rgb(165, 160, 90), 20))
        if rng.chance(0.4) { paintTreeLine() }
        paintGround(.grass, texture: grass)
        if rng.chance(0.25) {
            let x = rng.uniform(0.1, 0.8) * w, width = w * rng.uniform(0.12, 0.22)
            let base = horizon(x) + (h - horizon(x)) * rng.uniform(0.05, 0.3)
            paintBuilding(x0: x, x1: x + width, top: base - width * rng.uniform(0.5, 0.8), baseY: base, house: true)
        }
        var road: ((Float) -> (centre: Float, halfWidth: Float))?
        if rng.chance(biases.countryRoad) {
            road = paintRoad(bottomHalfWidth: w * rng.uniform(0.15, 0.3), curve: w * rng.uniform(-0.4, 0.4))
        }
        paintScatteredTrees(count: rng.int(0...5), conifer: rng.chance(0.15)) { x, t in
            guard let road else { return false }
            return abs(x - road(t).centre) < road(t).halfWidth + 2
        }
        if let road {
            if rng.chance(biases.carOnRoad) { paintCars(on: road, count: rng.int(1...2), lengthScale: 0.28, truckShare: chooseTruckShare()) }
        } else if rng.chance(biases.carOffRoad) {
            let t = rng.uniform(0.4, 0.9)
            paintCar(x: rng.uniform(0.2, 0.8) * w, baseY: horizonY + (h - horizonY) * t, length: w * 0.3 * (0.25 + 0.9 * t))
        }
    }

    /// The near shore's upper edge at column x, `level` of the way from horizon to bottom.
    func shoreline(_ level: Float, wobble: Float) -> (Float) -> Float {
        let noise = self.noise, builder = self
        return { x in
            let hy = builder.horizon(x)
            return hy + (builder.h - hy) * level + wobble * (noise.fbm(x / 20 + 1300, 3.3, octaves: 3) - 0.5)
        }
    }

    mutating func composeLake() {
        chooseHorizon()
        paintSkyAndClouds()
        if rng.chance(min(1, biases.mountainProbability + 0.2)) { paintMountains(height: 0.08...0.3, snowy: rng.chance(0.3)) }
        if rng.chance(0.6) { paintTreeLine() }
        let shore = shoreline(rng.uniform(0.45, 0.9), wobble: h * 0.12)
        let builder = self
        paintWater(reflective: rng.chance(biases.reflectionProbability)) { x, y in
            Float(y) >= builder.horizon(Float(x)) && Float(y) < shore(Float(x))
        }
        let nearIsGrass = rng.chance(0.6)
        let near = nearIsGrass
            ? grassTexture(base: jitter(rgb(85, 150, 60), 25), dry: jitter(rgb(165, 160, 90), 20))
            : sandTexture(base: jitter(rgb(210, 190, 145), 20))
        canvas.paintAll(nearIsGrass ? .grass : .sand, inside: { x, y in Float(y) >= shore(Float(x)) }, colour: near)
        if rng.chance(biases.boatOnWater) {
            for _ in 0..<rng.int(1...2) {
                let x = rng.uniform(0.15, 0.85) * w
                let top = horizon(x) + 2, bottom = shore(x) - 1
                guard bottom > top + 2 else { continue }
                let y = rng.uniform(top, bottom)
                paintBoat(x: x, waterY: y, length: w * (0.12 + 0.35 * depth(x, y)))
            }
        }
        if nearIsGrass && rng.chance(0.35) {
            let x = rng.uniform(0, w)
            paintTree(x: x, baseY: min(h, shore(x) + h * rng.uniform(0.05, 0.2)), size: h * rng.uniform(0.35, 0.6), conifer: rng.chance(0.3))
        }
    }

    mutating func composeBeach() {
        chooseHorizon()
        paintSkyAndClouds()
        if rng.chance(0.2) { paintMountains(height: 0.04...0.12, snowy: false) }
        let shore = shoreline(rng.uniform(0.2, 0.55), wobble: h * 0.08)
        let builder = self
        paintWater(vocabulary.label(.sea), reflective: rng.chance(biases.reflectionProbability * 0.5)) { x, y in
            Float(y) >= builder.horizon(Float(x)) && Float(y) < shore(Float(x))
        }
        let foam = jitter(rgb(235, 240, 240), 10)
        let noise = self.noise
        canvas.paintAll(vocabulary.label(.sea), inside: { x, y in
            let s = shore(Float(x))
            return Float(y) >= s - 1.5 && Float(y) < s && noise.value(Float(x) / 2 + 1400, Float(y)) > 0.35
        }) { _, _ in foam }
        canvas.paintAll(.sand, inside: { x, y in Float(y) >= shore(Float(x)) }, colour: sandTexture(base: jitter(rgb(215, 195, 150), 20)))
        if rng.chance(biases.boatOnWater) {
            for _ in 0..<rng.int(1...3) {
                let x = rng.uniform(0.1, 0.9) * w
                let top = horizon(x) + 1, bottom = shore(x) - 2
                guard bottom > top + 1 else { continue }
                let y = rng.uniform(top, bottom)
                paintBoat(x: x, waterY: y, length: w * (0.1 + 0.3 * depth(x, y)))
            }
        }
        if rng.chance(biases.boatOnSand) {
            let x = rng.uniform(0.2, 0.8) * w
            let y = min(h - 2, shore(x) + (h - shore(x)) * rng.uniform(0.3, 0.8))
            paintBoat(x: x, waterY: y, length: w * (0.2 + 0.3 * depth(x, y)))
        }
        if rng.chance(biases.carOffRoad) {
            let x = rng.uniform(0.2, 0.8) * w
            let y = min(h - 1, shore(x) + (h - shore(x)) * rng.uniform(0.4, 0.9))
            paintCar(x: x, baseY: y, length: w * 0.3 * (0.25 + 0.9 * depth(x, y)))
        }
    }

    mutating func composeAlpine() {
        chooseHorizon()
        horizonY = max(horizonY, h * 0.4)
        paintSkyAndClouds()
        paintMountains(height: 0.2...0.38, snowy: true)
        paintGround(.snow, texture: snowTexture(base: jitter(rgb(240, 244, 250), 8)))
        paintScatteredTrees(count: rng.int(1...6), conifer: true, depths: 0.05...0.7)
    }

    mutating func composeCloseUp() {
        horizonY = 0
        tilt = 0
        let choice = rng.weightedIndex([0.25, 0.45, 0.3])
        if choice == 0 {
            // A car seen close over the road, a strip of buildings or grass behind it.
            let behind = rng.uniform(0.15, 0.4) * h
            horizonY = behind
            if rng.chance(0.5) {
                paintBuilding(x0: -2, x1: w + 2, top: -2, baseY: behind, house: false)
            } else {
                canvas.paintAll(.grass, inside: { _, y in Float(y) < behind },
                                colour: grassTexture(base: jitter(rgb(85, 145, 60), 25), dry: jitter(rgb(150, 150, 85), 20)))
            }
            canvas.paintAll(.road, inside: { _, y in Float(y) >= behind }, colour: asphaltTexture(base: greyJitter(rgb(95, 95, 100))))
            if vocabulary == .siblings && rng.chance(0.3) {
                paintTruck(x: w * rng.uniform(0.4, 0.6), baseY: h * rng.uniform(0.85, 1.05), length: w * rng.uniform(1.0, 1.4))
            } else {
                paintCar(x: w * rng.uniform(0.4, 0.6), baseY: h * rng.uniform(0.85, 1.05), length: w * rng.uniform(0.9, 1.3))
            }
            return
        }
        // Texture close-ups: one class filling the frame, or two split by a line at any angle.
        let fills: [WorldClass] = [.grass, .water, .sand, .road, .building, .tree, .snow, .sky]
        let first = fills[rng.weightedIndex([3, 2, 1.5, 1.5, 1.5, 2, 0.7, 1])]
        paintFill(first, everywhere: true)
        if choice == 2 {
            let pairs: [WorldClass: [WorldClass]] = [
                .grass: [.road, .water, .tree, .sand], .water: [.sand, .grass, .boat], .sand: [.water, .grass],
                .road: [.grass, .building], .building: [.sky, .road, .tree], .tree: [.sky, .grass, .building],
                .snow: [.mountain, .tree, .sky], .sky: [.cloud, .mountain, .tree, .building],
            ]
            let second = rng.pick(pairs[first] ?? [.grass])
            if second == .boat {
                paintBoat(x: w * rng.uniform(0.3, 0.7), waterY: h * rng.uniform(0.5, 0.8), length: w * rng.uniform(0.5, 0.9))
            } else {
                let angle = rng.uniform(0, 2 * Float.pi), px = rng.uniform(0.2, 0.8) * w, py = rng.uniform(0.2, 0.8) * h
                let nx = cosf(angle), ny = sinf(angle)
                let noise = self.noise
                paintFill(second, everywhere: false) { x, y in
                    (Float(x) - px) * nx + (Float(y) - py) * ny + 4 * (noise.value(Float(x) / 6 + 1500, Float(y) / 6) - 0.5) > 0
                }
            }
        }
    }

    /// Fills the frame (or where `inside` holds) with one class's texture, seen close.
    mutating func paintFill(_ cls: WorldClass, everywhere: Bool, inside: @escaping (Int, Int) -> Bool = { _, _ in true }) {
        let noise = self.noise
        switch cls {
        case .grass:
            canvas.paintAll(.grass, inside: inside, colour: grassTexture(base: jitter(rgb(85, 150, 60), 25), dry: jitter(rgb(160, 155, 85), 20)))
        case .water:
            paintWater(reflective: false, inside: inside)
        case .sand:
            canvas.paintAll(.sand, inside: inside, colour: sandTexture(base: jitter(rgb(210, 190, 145), 20)))
        case .road:
            canvas.paintAll(.road, inside: inside, colour: asphaltTexture(base: greyJitter(rgb(95, 95, 100))))
        case .snow:
            canvas.paintAll(.snow, inside: inside, colour: snowTexture(base: jitter(rgb(240, 244, 250), 8)))
        case .building:
            let before = canvas
            paintBuilding(x0: -1, x1: w + 1, top: -1, baseY: h + 1, house: false)
            if !everywhere { restore(before, where: { !inside($0, $1) }) }
        case .tree:
            let leaf = jitter(rng.pick([rgb(55, 110, 45), rgb(75, 125, 50), rgb(45, 95, 50)]), 22)
            canvas.paintAll(.tree, inside: inside) { x, y in
                let leaves = noise.value(Float(x) * 0.45 + 1600, Float(y) * 0.45)
                let clumps = noise.fbm(Float(x) / 10 + 1610, Float(y) / 10, octaves: 2)
                return clamped01(leaf * (0.45 + 0.7 * leaves) * (0.7 + 0.6 * clumps))
            }
            count(.tree, 2)
        case .sky:
            let before = canvas
            horizonY = h
            paintSky()
            if !everywhere { restore(before, where: { !inside($0, $1) }) }
        case .cloud:
            let light = jitter(rgb(240, 240, 245), 10), shadow = jitter(rgb(170, 175, 185), 20)
            canvas.paintAll(.cloud, inside: inside) { x, y in
                mix(shadow, light, noise.fbm(Float(x) / 15 + 1700, Float(y) / 10, octaves: 3))
            }
            count(.cloud, 2)
        case .mountain:
            let rock = jitter(rgb(115, 110, 120), 20)
            canvas.paintAll(.mountain, inside: inside) { x, y in
                clamped01(rock * (0.7 + 0.5 * noise.fbm(Float(x) / 5 + 1800, Float(y) / 5, octaves: 3)))
            }
            count(.mountain)
        default:
            break
        }
    }

    /// Puts back the pixels of `before` where `outside` holds (used to clip a painter).
    mutating func restore(_ before: WorldCanvas, where outside: (Int, Int) -> Bool) {
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where outside(x, y) {
                canvas.labels[y * canvas.width + x] = before.labels[y * canvas.width + x]
                canvas.colours[y * canvas.width + x] = before.colours[y * canvas.width + x]
            }
        }
    }

    mutating func composeAerial() {
        horizonY = 0
        tilt = 0
        paintFill(.grass, everywhere: true)
        if rng.chance(0.3) {
            let cx = rng.uniform(0, w), cy = rng.uniform(0, h), r = w * rng.uniform(0.15, 0.3)
            let noise = self.noise
            paintWater(reflective: false) { x, y in
                let dx = Float(x) - cx, dy = Float(y) - cy
                return (dx * dx + dy * dy).squareRoot() < r * (0.8 + 0.5 * noise.value(Float(x) / 8 + 1900, Float(y) / 8))
            }
        }
        for _ in 0..<rng.int(0...3) {
            let x = rng.uniform(0, w), y = rng.uniform(0, h), s = w * rng.uniform(0.12, 0.22)
            paintRoof(x: x, y: y, width: s, height: s * rng.uniform(0.6, 1.2))
        }
        let horizontal = rng.chance(0.5)
        let centre = rng.uniform(0.3, 0.7) * w, half = w * rng.uniform(0.07, 0.14)
        let asphalt = asphaltTexture(base: greyJitter(rgb(95, 95, 100)))
        let marking = jitter(rgb(235, 235, 225), 10)
        canvas.paintAll(.road, inside: { x, y in abs(Float(horizontal ? y : x) - centre) <= half }) { x, y in
            let across = abs(Float(horizontal ? y : x) - centre), along = Float(horizontal ? x : y)
            return across < 0.7 && along.truncatingRemainder(dividingBy: 8) < 4 ? marking : asphalt(x, y)
        }
        if rng.chance(biases.carOnRoad) {
            let truckShare = chooseTruckShare()
            for _ in 0..<rng.int(1...3) {
                let along = rng.uniform(0.1, 0.9) * w
                let lane = centre + (rng.chance(0.5) ? 1 : -1) * half * 0.45
                if vocabulary == .siblings && rng.chance(truckShare) {
                    paintTruckFromAbove(x: horizontal ? along : lane, y: horizontal ? lane : along,
                                        length: w * rng.uniform(0.2, 0.28), horizontal: horizontal)
                } else {
                    paintCarFromAbove(x: horizontal ? along : lane, y: horizontal ? lane : along,
                                      length: w * rng.uniform(0.12, 0.18), horizontal: horizontal)
                }
            }
        }
        for _ in 0..<rng.int(1...6) {
            let x = rng.uniform(0, w), y = rng.uniform(0, h)
            if abs((horizontal ? y : x) - centre) < half + 3 { continue }
            paintCrown(x: x, y: y, radius: w * rng.uniform(0.05, 0.1))
        }
    }

    /// A house's roof seen from above: two slopes either side of a ridge.
    mutating func paintRoof(x cx: Float, y cy: Float, width: Float, height: Float) {
        let roof = jitter(rng.pick([rgb(150, 65, 50), rgb(90, 85, 85), rgb(120, 110, 100)]), 18)
        let cls = vocabulary.label(.house)
        canvas.paint(cls, x0: Int(cx - width / 2), y0: Int(cy - height / 2), x1: Int(cx + width / 2) + 1, y1: Int(cy + height / 2) + 1,
                     inside: { _, _ in true }) { _, y in
            Float(y) + 0.5 < cy ? roof : roof * 0.75
        }
        count(cls)
    }

    /// A tree crown seen from above: a lumpy disc, lit from the top left.
    mutating func paintCrown(x cx: Float, y cy: Float, radius: Float) {
        let leaf = jitter(rgb(50, 100, 45), 20)
        let noise = self.noise, off = rng.uniform(0, 300)
        canvas.paint(.tree, x0: Int(cx - radius * 1.3), y0: Int(cy - radius * 1.3), x1: Int(cx + radius * 1.3) + 1, y1: Int(cy + radius * 1.3) + 1, inside: { x, y in
            let dx = Float(x) - cx, dy = Float(y) - cy
            return (dx * dx + dy * dy).squareRoot() < radius * (0.85 + 0.4 * noise.value(Float(x) / 2 + off, Float(y) / 2))
        }) { x, y in
            let shade = ((Float(x) - cx) + (Float(y) - cy)) / (2 * radius)
            return clamped01(leaf * (1.1 - 0.4 * shade) * (0.7 + 0.5 * noise.value(Float(x) * 0.7 + off, Float(y) * 0.7)))
        }
        count(.tree)
    }
}
