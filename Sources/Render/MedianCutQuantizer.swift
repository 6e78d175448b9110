import Pixels

/// An adaptive palette for an image by median cut (Heckbert 1982), and the mapping of each
/// pixel to its nearest palette colour, with optional ordered (Bayer 8x8) dithering.
///
/// The palette: if the image has at most `maxColors` distinct colours they are the palette,
/// exactly. Otherwise the pixels are gathered into cells of 8x8x8 levels (5 bits a channel)
/// with their counts and sums; all cells start in one box; the box with the largest squared
/// error about its mean is split, along its channel of largest variance, at the
/// pixel-weighted median, until there are `maxColors` boxes or no box holds two cells. Each
/// box's colour is the exact mean of its pixels, rounded. Every step is deterministic (ties
/// broken by cell order).
///
/// The mapping: the palette entry nearest in squared sRGB distance (the first on ties); with
/// `dither`, a Bayer offset of amplitude `ditherSpread` is added to the pixel first.
///
/// ```swift
/// let q = MedianCutQuantizer(maxColors: 16)
/// let indexed = q.quantize(photo)   // IndexedImage, at most 16 palette entries
/// ```
public struct MedianCutQuantizer: Hashable, Sendable {
    /// The largest palette made, 1...256.
    public let maxColors: Int
    /// Whether ordered dithering is applied when mapping pixels.
    public let dither: Bool
    /// The dither amplitude in 8-bit steps (peak to peak): by default about half the spacing
    /// of a uniform palette of `maxColors` colours, `255 / cbrt(maxColors) / 2`.
    public let ditherSpread: Float

    public init(maxColors: Int = 256, dither: Bool = false, ditherSpread: Float? = nil) {
        precondition((1...256).contains(maxColors), "a palette holds 1 to 256 colours, not \(maxColors)")
        self.maxColors = maxColors
        self.dither = dither
        self.ditherSpread = ditherSpread ?? MedianCutQuantizer.defaultSpread(maxColors)
    }

    /// `255 / cbrt(maxColors) / 2`, the cube root by Newton's method.
    static func defaultSpread(_ maxColors: Int) -> Float {
        let n = Double(maxColors)
        var x = max(1, n / 3)
        for _ in 0..<40 { x = (2 * x + n / (x * x)) / 3 }
        return Float(255 / x / 2)
    }

    /// The palette followed by each pixel's index into it.
    public func quantize(_ image: RGBImage) -> IndexedImage {
        let palette = self.palette(for: image)
        return map(image, to: palette)
    }

    /// The median-cut palette of `image` (empty for an empty image).
    public func palette(for image: RGBImage) -> [RGB] {
        if let few = MedianCutQuantizer.distinctColors(image, atMost: maxColors) { return few }
        var cells = MedianCutQuantizer.cells(image)
        var boxes = [Box(cells, 0..<cells.count)]
        while boxes.count < maxColors {
            var best = -1
            var bestError = 0.0
            for (i, box) in boxes.enumerated() where box.range.count > 1 && box.error > bestError {
                best = i; bestError = box.error
            }
            guard best >= 0 else { break }
            let (a, b) = boxes[best].split(&cells)
            boxes[best] = a
            boxes.append(b)
        }
        return boxes.map { $0.mean }
    }

    /// Each pixel of `image` as the index of its nearest colour in `palette` (1...256
    /// colours).
    public func map(_ image: RGBImage, to palette: [RGB]) -> IndexedImage {
        precondition(!palette.isEmpty && palette.count <= 256, "a palette holds 1 to 256 colours, not \(palette.count)")
        var search = NearestColor(palette)
        var indices = [UInt8](repeating: 0, count: image.width * image.height)
        let spread = dither ? ditherSpread : 0
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let i = y * image.width + x
                    var r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                    if spread > 0 {
                        let d = (Float(PaletteQuantizer.bayer[(y & 7) * 8 + (x & 7)]) + 0.5) / 64 - 0.5
                        let o = Int((d * spread).rounded())
                        r = min(255, max(0, r + o)); g = min(255, max(0, g + o)); b = min(255, max(0, b + o))
                    }
                    indices[i] = UInt8(search.nearest(r, g, b))
                }
            }
        }
        return IndexedImage(width: image.width, height: image.height, indices: indices, palette: palette)
    }

    // MARK: - Histogram and boxes

    /// The distinct colours of `image` in packed order, or nil if there are more than
    /// `limit` (found with a small open-addressing set that gives up as soon as it fills).
    static func distinctColors(_ image: RGBImage, atMost limit: Int) -> [RGB]? {
        var capacity = 16
        while capacity < 4 * limit { capacity *= 2 }
        let empty = UInt32.max
        var table = [UInt32](repeating: empty, count: capacity)
        var count = 0
        let mask = capacity - 1
        let n = image.width * image.height
        let found: Bool = image.pixels.withUnsafeBufferPointer { p in
            var last = empty
            for i in 0..<n {
                let key = UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])
                if key == last { continue }
                last = key
                var slot = Int((key &* 2_654_435_761) >> 8) & mask
                while table[slot] != empty && table[slot] != key { slot = (slot + 1) & mask }
                if table[slot] == empty {
                    count += 1
                    if count > limit { return false }
                    table[slot] = key
                }
            }
            return true
        }
        guard found else { return nil }
        return table.filter { $0 != empty }.sorted().map {
            RGB(UInt8($0 >> 16), UInt8(($0 >> 8) & 255), UInt8($0 & 255))
        }
    }

    /// The image's pixels gathered into cells of 8x8x8 colour levels (5 bits a channel, as
    /// in Wu's and libsixel's quantisers): each non-empty cell with its pixel count, channel
    /// sums and mean, in cell order.
    struct Cell {
        var key: Int
        var count: Int
        var sum: SIMD3<Double>
        var mean: SIMD3<Double>
    }

    static func cells(_ image: RGBImage) -> [Cell] {
        let size = 1 << 15
        var counts = [Int32](repeating: 0, count: size)
        var sums = [UInt64](repeating: 0, count: 3 * size)
        let n = image.width * image.height
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let r = p[3 * i], g = p[3 * i + 1], b = p[3 * i + 2]
                let key = Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
                counts[key] += 1
                sums[3 * key] += UInt64(r); sums[3 * key + 1] += UInt64(g); sums[3 * key + 2] += UInt64(b)
            }
        }
        var cells: [Cell] = []
        for key in 0..<size where counts[key] > 0 {
            let sum = SIMD3(Double(sums[3 * key]), Double(sums[3 * key + 1]), Double(sums[3 * key + 2]))
            cells.append(Cell(key: key, count: Int(counts[key]), sum: sum, mean: sum / Double(counts[key])))
        }
        return cells
    }

    /// A box of the colour space: a range of cells with its statistics (each cell counted at
    /// its mean for the spread, at its true sums for the box's colour).
    struct Box {
        var range: Range<Int>
        var pixels = 0
        var sum = SIMD3<Double>(0, 0, 0)
        var sumSquares = SIMD3<Double>(0, 0, 0)

        init(_ cells: [Cell], _ range: Range<Int>) {
            self.range = range
            for i in range {
                let cell = cells[i]
                let m = cell.mean
                pixels += cell.count
                sum += cell.sum
                sumSquares += Double(cell.count) * m * m
            }
        }

        /// Per channel, the squared error about the mean (count times variance).
        var channelErrors: SIMD3<Double> { sumSquares - sum * sum / Double(pixels) }

        /// The squared error of the box about its mean.
        var error: Double { let e = channelErrors; return e.x + e.y + e.z }

        /// The mean colour of the box's pixels, rounded.
        var mean: RGB {
            let m = sum / Double(pixels)
            return RGB(UInt8(min(255, m.x.rounded())), UInt8(min(255, m.y.rounded())), UInt8(min(255, m.z.rounded())))
        }

        /// The two halves of the box, cut at the pixel-weighted median of its channel of
        /// largest variance; both halves hold at least one cell.
        func split(_ cells: inout [Cell]) -> (Box, Box) {
            let e = channelErrors
            let axis = e.x >= e.y && e.x >= e.z ? 0 : (e.y >= e.z ? 1 : 2)
            cells[range].sort { a, b in
                let ca = a.mean[axis], cb = b.mean[axis]
                return ca != cb ? ca < cb : a.key < b.key
            }
            var cumulative = 0
            var cut = range.lowerBound + 1
            for k in range {
                cumulative += cells[k].count
                if 2 * cumulative >= pixels { cut = k + 1; break }
            }
            cut = min(max(cut, range.lowerBound + 1), range.upperBound - 1)
            return (Box(cells, range.lowerBound..<cut), Box(cells, cut..<range.upperBound))
        }
    }
}

/// Exact nearest-colour search in squared sRGB distance over a palette of up to 256
/// colours, lowest index on ties. The colour cube is cut into cells of 16x16x16 levels; the
/// first query in a cell lists the entries that can be nearest to any colour in it (those
/// whose closest approach to the cell is no farther than the smallest farthest distance of
/// any entry, Heckbert's locally sorted search), and queries compare only those.
struct NearestColor {
    private let reds: [Int], greens: [Int], blues: [Int]
    /// Per cell, the offset of its candidates in `candidates`, or -1 before the first query.
    private var start = [Int32](repeating: -1, count: 1 << 12)
    private var length = [UInt16](repeating: 0, count: 1 << 12)
    private var candidates: [UInt8] = []
    private var scratch: [Int]

    init(_ palette: [RGB]) {
        precondition(!palette.isEmpty && palette.count <= 256)
        reds = palette.map { Int($0.r) }
        greens = palette.map { Int($0.g) }
        blues = palette.map { Int($0.b) }
        scratch = [Int](repeating: 0, count: palette.count)
    }

    @inline(__always)
    mutating func nearest(_ r: Int, _ g: Int, _ b: Int) -> Int {
        let cell = (r >> 4) << 8 | (g >> 4) << 4 | (b >> 4)
        if start[cell] < 0 { fill(cell) }
        var best = Int.max, bestIndex = 0
        let from = Int(start[cell])
        for k in from..<(from + Int(length[cell])) {
            let e = Int(candidates[k])
            let dr = reds[e] - r, dg = greens[e] - g, db = blues[e] - b
            let d = dr * dr + dg * dg + db * db
            if d < best { best = d; bestIndex = e }   // candidates ascend, so ties keep the lowest
        }
        return bestIndex
    }

    private mutating func fill(_ cell: Int) {
        let lo = SIMD3<Int>((cell >> 8) << 4, ((cell >> 4) & 15) << 4, (cell & 15) << 4)
        let hi = lo &+ 15
        func near(_ v: Int, _ l: Int, _ h: Int) -> Int { v < l ? l - v : (v > h ? v - h : 0) }
        func far(_ v: Int, _ l: Int, _ h: Int) -> Int { max(abs(v - l), abs(v - h)) }
        var minFar = Int.max
        for e in 0..<reds.count {
            let (nr, ng, nb) = (near(reds[e], lo.x, hi.x), near(greens[e], lo.y, hi.y), near(blues[e], lo.z, hi.z))
            scratch[e] = nr * nr + ng * ng + nb * nb
            let (fr, fg, fb) = (far(reds[e], lo.x, hi.x), far(greens[e], lo.y, hi.y), far(blues[e], lo.z, hi.z))
            minFar = min(minFar, fr * fr + fg * fg + fb * fb)
        }
        start[cell] = Int32(candidates.count)
        for e in 0..<reds.count where scratch[e] <= minFar { candidates.append(UInt8(e)) }
        length[cell] = UInt16(candidates.count - Int(start[cell]))
    }
}
