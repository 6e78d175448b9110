import Pixels
import XCTest
import Render
@testable import TUI
import Datasets
import CLIP
import ReCLIP

/// The explorer draws its pictures through Render, so its overlay panel and `reclip render`
/// (`AnnotatedImage`) give the same cells for the same image, mask, opacity and colour mode.
final class OneRenderingPathTests: XCTestCase {
    func testExplorerPanelAndReclipRenderGiveIdenticalCells() throws {
        let classes = ["background"] + (1...20).map { "class\($0)" }
        var colours: [RGB] = []
        for i in 0..<(64 * 48) {
            let r = UInt8(i % 64 * 4), g = UInt8(i / 64 * 5), b = UInt8((i * 7) % 256)
            colours.append(RGB(r, g, b))
        }
        let photo = RGBImage(width: 64, height: 48, colors: colours)
        // Logits on a 4 x 3 grid: class (x + 3y) wins in each cell.
        let w = 4, h = 3, K = classes.count
        var raw = [Float](repeating: 0, count: K * w * h)
        for y in 0..<h { for x in 0..<w { raw[(x + 3 * y) * w * h + y * w + x] = 1 } }
        let maps = SegmentationMaps(classNames: classes, gridWidth: w, gridHeight: h, raw: raw)
        for mode in [ColorMode.xterm256, .ansi16, .truecolor] {
            var s = ExplorerState(entries: [ImageEntry(url: URL(fileURLWithPath: "/images/a.png"))], classes: classes,
                                  model: ModelInfo(name: "m", variant: "MaskCLIP only", hasRectifier: false), width: 122, height: 40)
            s.pictures[0] = photo
            s.segmentations[0] = .done(maps, seconds: 0)
            s.view = .overlay
            s.overlay = .mask
            s.opacity = 0.5
            s.colorMode = mode
            let panel = s.layout.panels[0].picture
            let grid = ExplorerFrame(state: s).grid
            let config = CanvasConfig(colorMode: mode)
            let mask = ClassMask(width: panel.width, height: panel.height * 2,
                                 labels: maps.labels(alpha: 0, width: panel.width, height: panel.height * 2))
            let rendered = AnnotatedImage(image: photo, mask: mask, overlay: MaskOverlay(palette: ClassPalette.voc(), opacity: 0.5))
                .grid(columns: panel.width, rows: panel.height, config: config)
            var explorer = CellGrid(width: panel.width, height: panel.height)
            for y in 0..<panel.height { for x in 0..<panel.width { explorer[x, y] = grid[panel.x + x, panel.y + y] } }
            XCTAssertEqual(explorer, rendered, "\(mode): the explorer's panel and reclip render differ")
            if mode == .xterm256 {
                XCTAssertTrue(explorer.cells.allSatisfy { if case .indexed = $0.foreground { return true } else { return false } },
                              "256-colour cells are palette entries chosen by Render")
            }
        }
    }
}
