import ArgumentParser
import Render

/// `--graphics auto|kitty|sixel|iterm|cells`: how pictures reach the terminal; `auto` asks the
/// terminal (`GraphicsSetup.decide`).
enum GraphicsOption: String, CaseIterable, ExpressibleByArgument, Sendable {
    case auto, kitty, sixel, iterm, cells

    /// The protocol forced, or nil for `auto`.
    var override: GraphicsProtocol? { self == .auto ? nil : GraphicsProtocol(rawValue: rawValue) }
}

/// `--cell-size WxH`: a terminal cell's size in pixels, each side within
/// `GraphicsSetup.cellSizeRange`.
struct CellSizeOption: ExpressibleByArgument, Sendable, Equatable {
    let size: CellPixelSize

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
        size = CellPixelSize(width: w, height: h)
    }

    init(size: CellPixelSize) { self.size = size }

    var defaultValueDescription: String { "\(size.width)x\(size.height)" }

    /// A message naming the valid range, or nil when both sides are in it.
    var problem: String? {
        let range = GraphicsSetup.cellSizeRange
        guard range.contains(size.width), range.contains(size.height) else {
            return "--cell-size \(size.width)x\(size.height): use WIDTHxHEIGHT with each side in \(range.lowerBound)...\(range.upperBound) pixels"
        }
        return nil
    }
}

/// The options the explorer and `reclip render` share for pictures.
struct GraphicsOptions: ParsableArguments {
    @Option(help: "How pictures are drawn: auto (ask the terminal), kitty, sixel, iterm or cells.")
    var graphics: GraphicsOption = .auto

    @Option(help: ArgumentHelp("A terminal cell's size in pixels, WIDTHxHEIGHT (default: from the terminal, else 10x20).",
                               valueName: "WxH"))
    var cellSize: CellSizeOption?

    func validate() throws {
        if let problem = cellSize?.problem { throw ValidationError(problem) }
    }
}
