import Pixels
import Foundation
import Render
import FileIO

/// The current view written to disk: a PNG of its pictures at the image's own resolution and
/// an ANSI text file of the panels as they are on screen.
///
/// Both go next to the image as `<name>.<view>.png` and `<name>.<view>.ans`; when that folder
/// cannot be written, into the current directory. Each file is written to a temporary name in
/// its folder and renamed, so a reader never sees half a file.
public struct ViewExport {
    let state: ExplorerState

    public init(state: ExplorerState) { self.state = state }

    /// The pictures of the view side by side at the photograph's size, 8 white pixels apart.
    public func picture() -> RGBImage? {
        guard let photo = state.currentPicture else { return nil }
        let panels = ViewPanels(state: state).panels(width: photo.width, height: photo.height, photo: photo).compactMap(\.pixels)
        guard !panels.isEmpty else { return nil }
        let gap = 8
        let width = panels.count * photo.width + (panels.count - 1) * gap
        var out = RGBImage(width: width, height: photo.height, fill: RGB(255, 255, 255))
        for (i, panel) in panels.enumerated() {
            for y in 0..<panel.height {
                for x in 0..<panel.width { out[i * (photo.width + gap) + x, y] = panel[x, y] }
            }
        }
        return out
    }

    /// The main area of the screen (captions and pictures) as ANSI text.
    public func ansiText() -> String {
        let frame = ExplorerFrame(state: state)
        let grid = frame.grid
        let main = frame.layout.main
        var area = CellGrid(width: main.width, height: main.height)
        for y in 0..<main.height {
            for x in 0..<main.width { area[x, y] = grid[main.x + x, main.y + y] }
        }
        return Self.ansi(area)
    }

    /// Writes both files; returns their paths.
    public func write() throws -> [String] {
        guard let entry = state.currentEntry, let picture = picture() else {
            throw TerminalError("nothing to save: the image is not loaded")
        }
        let name = entry.url.deletingPathExtension().lastPathComponent + "." + state.view.title
        let besideImage = entry.url.deletingLastPathComponent()
        // access(2) on the path's bytes: the folder's name may not be UTF-8 (`PathBytes`).
        let folder = PathBytes.withCString(besideImage.path, { access($0, W_OK) }) == 0
            ? besideImage : URL(fileURLWithPath: PathBytes.currentDirectory, isDirectory: true)
        let png = folder.appendingPathComponent(name + ".png")
        let ans = folder.appendingPathComponent(name + ".ans")
        try Self.atomically(png) { try Self.writePNG(picture, to: $0) }
        try Self.atomically(ans) { try AtomicFile.write(Array(ansiText().utf8), to: $0.path) }
        return [png.path, ans.path]
    }

    /// Runs `body` on a temporary file beside `url`, then moves it over `url` (`AtomicFile`).
    static func atomically(_ url: URL, _ body: (URL) throws -> Void) throws {
        do { try AtomicFile.write(to: url.path) { try body(URL(fileURLWithPath: $0)) } }
        catch let error as FileError { throw TerminalError(error.description) }
    }

    static func writePNG(_ picture: RGBImage, to url: URL) throws {
        try PNGCodec.write(picture, to: url.path)
    }

    /// A grid as ANSI text (Render's writer, the same as `reclip render`).
    static func ansi(_ grid: CellGrid) -> String { AnsiWriter().string(grid) }
}
