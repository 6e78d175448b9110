import ArgumentParser
import Foundation
import Segmentation

extension Reclip {
    /// Subcommands of the rectifier area.
    static var rectifierCommands: [any ParsableCommand.Type] { [BenchReclip.self] }
}

/// `reclip bench-reclip alpha|train`: timings of the rectification engine.
struct BenchReclip: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-reclip",
        abstract: "Time a change of alpha (alpha) or one unsupervised training step with ViT-B/16 sizes (train).")

    @Argument(help: "What to time: alpha or train.")
    var what: String

    @Option(help: "Number of classes.")
    var classes: Int?

    @Option(help: "Rectifier variant for train: reclip or reclip++.")
    var variant: String = "reclip"

    func run() throws {
        switch what {
        case "alpha":
            let k = classes ?? 21
            let ms = RectifierBenchmark.alphaMilliseconds(classes: k)
            print(String(format: "alpha change (%d classes, 28x28 grid -> 200x120 view): %.2f ms (median of 50)", k, ms))
        case "train":
            guard let v = RectifierVariant(rawValue: variant) else {
                throw ValidationError("unknown variant \(variant): use reclip or reclip++")
            }
            let k = classes ?? 20
            let s = RectifierBenchmark.trainingStepSeconds(variant: v, classes: k)
            print(String(format: "training step (%@, %d classes, ViT-B/16 sizes, 21x21 grid, batch 1): %.2f s wall, %.2f s CPU (median of 3)",
                         v.rawValue, k, s.wall, s.cpu))
        default:
            throw ValidationError("unknown benchmark \(what): use alpha or train")
        }
    }
}
