import FileIO
import ArgumentParser
import Foundation
import Render

/// `reclip bench render`: how fast images become cells, and how close the cells are to the
/// image (PSNR), ours and other renderers' ANSI output alike.
struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Time grid building and measure the PSNR of ANSI renderings (ours and others').")

    @Argument(help: "The image to render (PNG or JPEG).")
    var image: String

    @Option(help: "A class mask to overlay while timing.")
    var mask: String?

    @Option(help: "Columns x rows boxes to time, e.g. 160x50,200x60.")
    var sizes: String = "160x50,200x60"

    @Option(help: "Timed repetitions per size (the median is reported).")
    var repeats: Int = 50

    @Option(name: .customLong("ansi"), help: "NAME=FILE: ANSI half-block text to score against the image (repeatable).")
    var ansi: [String] = []

    func run() throws {
        let photo = try ImageFile.read(path: image)
        let labels = try mask.map { try ImageFile.readMask(path: $0) }
        let report = RenderBenchmark(image: photo, mask: labels)
        for size in sizes.split(separator: ",") {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
                throw ValidationError("--sizes wants COLSxROWS pairs, not '\(size)'")
            }
            for mode in [ColorMode.truecolor, .xterm256] {
                print(report.timing(columns: parts[0], rows: parts[1], mode: mode, repeats: repeats))
            }
        }
        for entry in ansi {
            guard let eq = entry.firstIndex(of: "=") else { throw ValidationError("--ansi wants NAME=FILE, not '\(entry)'") }
            let name = String(entry[..<eq]), file = String(entry[entry.index(after: eq)...])
            guard let bytes = try? FileBytes.read(file, limit: 256 << 20), let text = String(validating: bytes, as: UTF8.self) else {
                throw ValidationError("\(terminalSafe(file)): cannot read ANSI text (UTF-8, at most 256 MiB)")
            }
            print(report.quality(name: name, ansi: text))
        }
    }
}
