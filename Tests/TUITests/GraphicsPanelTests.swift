import Pixels
import Foundation
import XCTest
import Render
import GraphicsTestSupport
@testable import TUI
import ReCLIP

/// The explorer's pictures in pixels: which panels a frame sends, deletes and leaves alone
/// (`GraphicsPlan`, `GraphicsScreen`), and that the pixels are Render's composition at the
/// cells' pixel size.
final class GraphicsPanelTests: XCTestCase {
    private let cell = CellPixelSize(width: 6, height: 13)

    private func state(_ graphics: GraphicsProtocol, truth: Bool = false, width: Int = 122, height: Int = 40,
                       tmux: Bool = false) -> ExplorerState {
        var s = Fixture.state(truth: truth ? Fixture.truth : nil, width: width, height: height)
        s.graphicsSetup = GraphicsSetup(graphics: graphics, cellSize: cell, cellSizeSource: .windowSize, insideTmux: tmux)
        return s
    }

    /// One frame through the screen: the update, and the slots whose pixels were composed.
    private func show(_ s: ExplorerState, on screen: inout GraphicsScreen, cleared: Bool = false,
                      resized: Bool = false) -> (update: GraphicsScreen.Update, composed: [Int]) {
        let frame = ExplorerFrame(state: s)
        var composed: [Int] = []
        let update = screen.update(frame.pixelPanels, screenCleared: cleared, resized: resized) { panel in
            composed.append(panel.slot)
            return frame.pixels(for: panel)
        }
        return (update, composed)
    }

    private func key(_ s: ExplorerState, _ c: Character) -> ExplorerState { s.applying(.key(.character(c))).0 }

    func testAnAlphaStepResendsOnlyTheMaskPanelsThatDependOnAlpha() {
        for graphics in [GraphicsProtocol.sixel, .kitty, .iterm] {
            var s = state(graphics)
            var screen = GraphicsScreen(setup: s.graphicsSetup)
            let first = show(s, on: &screen, cleared: true)
            XCTAssertEqual(first.update.plan.send.map(\.slot), [0, 1, 2], "\(graphics): image, raw, rectified")
            XCTAssertEqual(first.composed, [0, 1, 2])

            s = key(s, "+")
            let step = show(s, on: &screen)
            XCTAssertEqual(step.update.plan.send.map(\.slot), [2], "\(graphics): only the rectified mask changes with alpha")
            XCTAssertEqual(step.composed, [2])
            XCTAssertEqual(step.update.plan.deleteImages, [])
            XCTAssertEqual(step.update.plan.staleAreas, [])

            // Nothing changed: nothing sent.
            let idle = show(s, on: &screen)
            XCTAssertEqual(idle.update.bytes, [], "\(graphics)")

            // Back to the first alpha: sent again, but from the cache.
            s = key(s, "-")
            let back = show(s, on: &screen)
            XCTAssertEqual(back.update.plan.send.map(\.slot), [2])
            XCTAssertEqual(back.composed, [], "\(graphics): the encoded bytes were kept")
            XCTAssertFalse(back.update.bytes.isEmpty)
        }
    }

    func testAnOpacityStepAndTheDifferenceViewFollowTheirInputs() {
        var s = state(.sixel)
        s.view = .overlay
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        XCTAssertEqual(show(s, on: &screen, cleared: true).update.plan.send.map(\.slot), [0])
        s = key(s, ">")
        XCTAssertEqual(show(s, on: &screen).composed, [0], "opacity changes the overlay")
        s = key(s, "o")   // ground truth, absent here: the photo
        XCTAssertEqual(show(s, on: &screen).composed, [0])
        s = key(s, "+")
        XCTAssertEqual(show(s, on: &screen).update.bytes, [], "the photograph does not depend on alpha")

        s.view = .difference
        XCTAssertEqual(show(s, on: &screen).composed, [0])
        s = key(s, "+")
        XCTAssertEqual(show(s, on: &screen).composed, [0], "the difference depends on alpha")
    }

    func testAResizeDeletesTheKittyImagesAndSendsThemAgain() throws {
        var s = state(.kitty)
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        _ = show(s, on: &screen, cleared: true)
        XCTAssertEqual(Set(screen.shown.keys), [0, 1, 2])
        s = s.applying(.resize(width: 140, height: 44)).0
        let resized = show(s, on: &screen, cleared: true, resized: true)
        XCTAssertEqual(resized.update.plan.deleteImages, [240, 241, 242])
        XCTAssertEqual(resized.update.plan.send.map(\.slot), [0, 1, 2])
        let commands = try KittyDecoder.commands(stripPositioning(resized.update.bytes))
        let deletes = commands.filter { keys($0.keys)["a"] == "d" }
        XCTAssertEqual(deletes.map { keys($0.keys)["i"] }, ["240", "241", "242"], "deleted by id, first")
        XCTAssertEqual(keys(commands[0].keys)["a"], "d")
        XCTAssertEqual(deletes.map { keys($0.keys)["d"] }, ["I", "I", "I"], "their pixels freed")

        // Sixel has no ids: the cleared screen is simply drawn again.
        var t = state(.sixel)
        var sixels = GraphicsScreen(setup: t.graphicsSetup)
        _ = show(t, on: &sixels, cleared: true)
        t = t.applying(.resize(width: 140, height: 44)).0
        let again = show(t, on: &sixels, cleared: true, resized: true)
        XCTAssertEqual(again.update.plan.deleteImages, [])
        XCTAssertEqual(again.update.plan.send.map(\.slot), [0, 1, 2])
        XCTAssertEqual(again.update.plan.staleAreas, [], "the clear took the old pictures away")
    }

    func testPanelsThatGoAwayAreDeletedOrErased() {
        var s = state(.kitty)
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        _ = show(s, on: &screen, cleared: true)
        s = key(s, "4")   // the overlay view: one panel
        let kitty = show(s, on: &screen)
        XCTAssertEqual(kitty.update.plan.deleteImages, [241, 242])
        XCTAssertEqual(Set(screen.shown.keys), [0])

        var t = state(.sixel)
        var sixels = GraphicsScreen(setup: t.graphicsSetup)
        _ = show(t, on: &sixels, cleared: true)
        let before = t.layout.panels.map(\.picture)
        t = key(t, "4")
        let sixel = show(t, on: &sixels)
        XCTAssertEqual(sixel.update.plan.deleteImages, [])
        XCTAssertEqual(Set(sixel.update.plan.staleAreas), Set(before), "every old picture is blanked before the new one")
        XCTAssertEqual(sixel.update.plan.send.map(\.slot), [0])

        // A help box over the panels: kitty would hide it, so the panels go back to cells.
        t = key(t, "?")
        XCTAssertEqual(ExplorerFrame(state: t).pixelPanels, [])
        XCTAssertEqual(show(t, on: &sixels).update.plan.staleAreas.count, 1)
        s = key(s, "?")
        XCTAssertEqual(show(s, on: &screen).update.plan.deleteImages, [240])
        var removed = screen
        XCTAssertEqual(removed.removeAll(), [], "nothing left to delete")
    }

    func testRemoveAllDeletesEveryShownKittyImage() {
        let s = state(.kitty)
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        _ = show(s, on: &screen, cleared: true)
        let bytes = String(decoding: screen.removeAll(), as: UTF8.self)
        XCTAssertEqual(bytes, ["240", "241", "242"].map { "\u{1B}_Ga=d,d=I,i=\($0),q=2\u{1B}\\" }.joined())
        XCTAssertTrue(screen.shown.isEmpty)
        XCTAssertEqual(show(s, on: &screen).update.plan.send.count, 3, "after a suspend everything goes again")
    }

    func testRemoveAllBlanksEveryShownSixelAndITermPicture() {
        for graphics in [GraphicsProtocol.sixel, .iterm] {
            let s = state(graphics)
            var screen = GraphicsScreen(setup: s.graphicsSetup)
            _ = show(s, on: &screen, cleared: true)
            // No ids to delete: each picture's cells blanked (ECH), for a terminal without an
            // alternate screen to hide them when the explorer quits or is suspended.
            let pictures = s.layout.panels.map(\.picture)
            XCTAssertEqual(pictures.count, 3)
            XCTAssertEqual(screen.removeAll(), pictures.flatMap {
                PictureEncoder.erase(column: $0.x, row: $0.y, columns: $0.width, rows: $0.height)
            }, "\(graphics)")
            XCTAssertTrue(screen.shown.isEmpty)
            XCTAssertEqual(screen.removeAll(), [], "\(graphics): nothing left")
            XCTAssertEqual(show(s, on: &screen).update.plan.send.count, 3, "\(graphics): after a suspend everything goes again")
        }
    }

    func testPixelPanelsAreRendersCompositionAtTheCellsPixelSize() throws {
        var s = state(.sixel)
        s.view = .overlay
        s.opacity = 0.5
        let frame = ExplorerFrame(state: s)
        let panel = try XCTUnwrap(frame.pixelPanels.first)
        let picture = s.layout.panels[0].picture
        XCTAssertEqual(panel.cells, picture)
        XCTAssertEqual(panel.key.width, picture.width * 6)
        XCTAssertEqual(panel.key.height, picture.height * 13)
        // The same composition `reclip render` makes: the photo area-averaged to the size, the
        // mask (arg-max at that size) blended on with 1-pixel boundaries.
        let maps = Fixture.maps
        let mask = ClassMask(width: panel.key.width, height: panel.key.height,
                             labels: maps.labels(alpha: 1, width: panel.key.width, height: panel.key.height))
        let expected = AnnotatedImage(image: Fixture.picture, mask: mask,
                                      overlay: MaskOverlay(palette: ClassPalette.forClasses(Fixture.classes), opacity: 0.5,
                                                           boundaryColor: RGB(255, 255, 255)))
            .pixels(width: panel.key.width, height: panel.key.height)
        XCTAssertEqual(frame.pixels(for: panel), expected)

        // The bytes: a sixel of exactly those pixels (quantised), at the panel's top-left cell.
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        let bytes = screen.update([panel], screenCleared: true, resized: false) { frame.pixels(for: $0) }.bytes
        let prefix = Array("\u{1B}7\u{1B}[\(picture.y + 1);\(picture.x + 1)H".utf8)
        XCTAssertEqual(Array(bytes.prefix(prefix.count)), prefix)
        let sixel = Array(bytes.dropFirst(prefix.count).dropLast(2))
        XCTAssertEqual(try SixelDecoder.decode(sixel).image, try SixelEncoder().quantize(expected).expanded())

        // The cells under the picture are blank; the caption is text.
        let grid = frame.grid
        for y in picture.y..<(picture.y + picture.height) {
            for x in picture.x..<(picture.x + picture.width) { XCTAssertEqual(grid[x, y], .blank, "(\(x), \(y))") }
        }
        XCTAssertTrue(grid.text(row: picture.y - 1).contains("mask over image"))
        // In cells the same frame pastes the picture.
        var cells = s
        cells.graphicsSetup = .cells
        XCTAssertNotEqual(ExplorerFrame(state: cells).grid[picture.x, picture.y], .blank)
        XCTAssertEqual(ExplorerFrame(state: cells).pixelPanels, [])
    }

    func testTheInspectCursorMarksItsCellInEveryPanel() throws {
        var s = state(.kitty)
        s = key(s, "i")
        s = s.applying(.key(.right)).0
        let frame = ExplorerFrame(state: s)
        let panels = frame.pixelPanels
        XCTAssertEqual(panels.count, 3)
        let picture = s.layout.panels[0].picture
        let expectedCell = (min(picture.width - 1, Int(s.cursor.u * Double(picture.width))),
                            min(picture.height - 1, Int(s.cursor.v * Double(picture.height))))
        for panel in panels {
            let cursor = try XCTUnwrap(panel.key.cursor)
            XCTAssertEqual(cursor.column, expectedCell.0)
            XCTAssertEqual(cursor.row, expectedCell.1)
        }
        // The marked pixels are exactly that cell's.
        let marked = frame.pixels(for: panels[0])
        var plain = s
        plain.inspecting = false
        plain.cursor = s.cursor
        let unmarked = ExplorerFrame(state: plain, cache: frame.cache).pixels(for: PixelPanel(slot: 0, cells: panels[0].cells, key: PanelKey(
            recipe: .photo, width: panels[0].key.width, height: panels[0].key.height, cursor: nil, boundaries: true, state: plain,
            palette: [], truthPalette: [])))
        XCTAssertEqual(marked.width, unmarked.width)
        for y in 0..<marked.height {
            for x in 0..<marked.width where marked[x, y] != unmarked[x, y] {
                XCTAssertEqual(x / 6, expectedCell.0, "pixel (\(x), \(y)) changed outside the cursor's cell")
                XCTAssertEqual(y / 13, expectedCell.1, "pixel (\(x), \(y)) changed outside the cursor's cell")
            }
        }
        // Moving the cursor redraws every panel (each carries the mark).
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        _ = show(s, on: &screen, cleared: true)
        let moved = s.applying(.key(.down)).0
        XCTAssertEqual(show(moved, on: &screen).composed, [0, 1, 2])
    }

    func testKittyInsideTmuxUsesPlaceholdersNamedBySlot() throws {
        let s = state(.kitty, tmux: true)
        var screen = GraphicsScreen(setup: s.graphicsSetup)
        let update = show(s, on: &screen, cleared: true).update
        // Transmissions only, wrapped for tmux, no cursor positioning.
        let commands = try KittyDecoder.commands(try unwrapTmux(update.bytes))
        let ids = commands.compactMap { keys($0.keys)["i"] }
        XCTAssertEqual(ids, ["240", "241", "242"])
        XCTAssertTrue(commands.filter { keys($0.keys)["i"] != nil }.allSatisfy { keys($0.keys)["U"] == "1" })
        let placeholders = screen.placeholders(for: ExplorerFrame(state: s).pixelPanels)
        XCTAssertEqual(placeholders.map(\.placeholder.imageID), [240, 241, 242])
        XCTAssertEqual(placeholders.map(\.cells), s.layout.panels.map(\.picture))
        XCTAssertTrue(placeholders.allSatisfy(\.placeholder.indexedColor))
    }

    func testTheEncodedPanelCacheKeepsToItsBudget() {
        var cache = EncodedPanels(budget: 100)
        let s = state(.sixel)
        let panels = ExplorerFrame(state: s).pixelPanels
        let names = panels.map { EncodedPanels.Name(key: $0.key, slot: $0.slot, columns: 1, rows: 1) }
        cache[names[0]] = [UInt8](repeating: 1, count: 60)
        cache[names[1]] = [UInt8](repeating: 2, count: 30)
        XCTAssertEqual(cache.size, 90)
        _ = cache[names[0]]   // used: now the newest
        cache[names[2]] = [UInt8](repeating: 3, count: 30)
        XCTAssertNil(cache[names[1]], "the least recently used went")
        XCTAssertNotNil(cache[names[0]])
        XCTAssertEqual(cache.size, 90)
        XCTAssertEqual(cache.count, 2)
    }

    func testKeysCompareWhatThePanelsShow() {
        let s = state(.sixel)
        let a = ExplorerFrame(state: s).pixelPanels
        var t = s
        t.pictures[0] = RGBImage(width: 40, height: 20, fill: RGB(1, 2, 3))   // another photo of the same size
        let b = ExplorerFrame(state: t).pixelPanels
        XCTAssertNotEqual(a[0].key, b[0].key, "the photograph's pixels are part of its key")
        var u = s
        u.hiddenClasses = [1]
        let c = ExplorerFrame(state: u).pixelPanels
        XCTAssertEqual(a[0].key, c[0].key, "hiding a class leaves the photograph")
        XCTAssertNotEqual(a[2].key, c[2].key, "and changes the masks")
        XCTAssertFalse(PanelRecipe.photo.dependsOnAlpha)
        XCTAssertFalse(PanelRecipe.mask(alpha: 0, opacity: 1).dependsOnAlpha)
        XCTAssertTrue(PanelRecipe.mask(alpha: 1, opacity: 1).dependsOnAlpha)
    }

    // MARK: helpers

    private func keys(_ pairs: [(String, String)]) -> [String: String] {
        Dictionary(pairs, uniquingKeysWith: { a, _ in a })
    }

    /// The kitty commands of an update without the cursor save / move / restore around each picture.
    private func stripPositioning(_ bytes: [UInt8]) -> [UInt8] {
        var text = String(decoding: bytes, as: UTF8.self)
        text = text.replacingOccurrences(of: "\u{1B}7", with: "").replacingOccurrences(of: "\u{1B}8", with: "")
        while let range = text.range(of: "\u{1B}\\[[0-9]+;[0-9]+H", options: .regularExpression) { text.removeSubrange(range) }
        return Array(text.utf8)
    }
}
