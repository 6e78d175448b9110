import Pixels
import Foundation

/// Measures the renderer: the time to build a cell grid in-process, and how faithfully ANSI
/// half-block text (ours or another program's) shows an image.
///
/// Quality is the PSNR between the pixels the text shows (read back with `AnsiPixels`) and
/// the image area-averaged to the same pixel grid, both in linear light (the correct
/// average) and directly on sRGB codes (what most viewers compute), so neither reference
/// favours one renderer by construction.
///
/// ```swift
/// var bench = RenderBenchmark(image: photo, mask: nil)
/// print(bench.timing(columns: 160, rows: 50, mode: .truecolor, repeats: 50))
/// print(bench.quality(name: "chafa", ansi: chafaOutput))
/// ```
public struct RenderBenchmark: Sendable {
    public let image: RGBImage
    public let mask: ClassMask?

    public init(image: RGBImage, mask: ClassMask?) {
        self.image = image
        self.mask = mask
    }

    /// Median and minimum time over `repeats` runs of fitting, resampling, overlaying and
    /// quantising into at most `columns` x `rows` cells, plus writing the ANSI text.
    public func timing(columns: Int, rows: Int, mode: ColorMode, repeats: Int) -> String {
        let view = AnnotatedImage(image: image, mask: mask,
                                  overlay: MaskOverlay(palette: ClassPalette.voc(), opacity: 0.5))
        let config = CanvasConfig(colorMode: mode)
        var grid = view.grid(maxColumns: columns, maxRows: rows, config: config)   // warm the tables
        var buildTimes: [Double] = [], writeTimes: [Double] = []
        var bytes = 0
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            grid = view.grid(maxColumns: columns, maxRows: rows, config: config)
            let t1 = DispatchTime.now().uptimeNanoseconds
            bytes = AnsiWriter().bytes(grid).count
            let t2 = DispatchTime.now().uptimeNanoseconds
            buildTimes.append(Double(t1 - t0) / 1e6)
            writeTimes.append(Double(t2 - t1) / 1e6)
        }
        buildTimes.sort(); writeTimes.sort()
        let what = mask == nil ? "" : " + mask"
        return String(format: "%dx%d image%@ -> %dx%d cells, %@: grid %.3f ms median (%.3f min), ANSI %.3f ms, %d bytes",
                      image.width, image.height, what, grid.width, grid.height, mode.rawValue,
                      buildTimes[buildTimes.count / 2], buildTimes[0], writeTimes[writeTimes.count / 2], bytes)
    }

    /// PSNR of `ansi` against both references, as one line.
    public func quality(name: String, ansi: String) -> String {
        let (shown, linear, srgb) = scores(ansi: ansi)
        return String(format: "%@: %dx%d cells, PSNR %.2f dB vs linear-light average, %.2f dB vs sRGB average",
                      name, shown.width, shown.height / 2, linear, srgb)
    }

    /// The pixels `ansi` shows and its PSNR against the linear-light and sRGB references.
    public func scores(ansi: String) -> (shown: RGBImage, linear: Double, srgb: Double) {
        let shown = AnsiPixels.decode(ansi)
        guard shown.width > 0, shown.height > 0 else { return (shown, 0, 0) }
        let linear = AreaResampler.resample(image, width: shown.width, height: shown.height)
        let srgb = AreaResampler.resample(image, width: shown.width, height: shown.height, linearLight: false)
        return (shown, ImageQuality.psnr(shown, linear), ImageQuality.psnr(shown, srgb))
    }
}
