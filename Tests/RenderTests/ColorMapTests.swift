import Pixels
import XCTest
@testable import Render

final class ColorMapTests: XCTestCase {
    struct Reference: Decodable {
        let values: [Double]
        let maps: [String: [[Int]]]
    }

    func testColourMapsMatchMatplotlib() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("colormaps.json")))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        for map in [ColorMap.viridis, .magma, .rdBuR] {
            let expected = try XCTUnwrap(reference.maps[map.name], map.name)
            for (value, rgb) in zip(reference.values, expected) {
                XCTAssertEqual(map.color(at: value), RGB(UInt8(rgb[0]), UInt8(rgb[1]), UInt8(rgb[2])), "\(map.name)(\(value))")
            }
        }
        XCTAssertEqual(ColorMap.viridis.color(at: -3), ColorMap.viridis.colors[0])
        XCTAssertEqual(ColorMap.viridis.color(at: 7), ColorMap.viridis.colors[255])
        XCTAssertTrue(ColorMap.rdBuR.isDiverging)
        XCTAssertEqual(ColorMap.named("RdBu_r"), .rdBuR)
    }

    func testRangesResolve() {
        let values: [Float] = [-0.25, 0.5, .nan, 0.125]
        XCTAssertTrue(HeatmapRange.perMap.resolve(values) == (-0.25, 0.5))
        XCTAssertTrue(HeatmapRange.symmetric.resolve(values) == (-0.5, 0.5))
        XCTAssertTrue(HeatmapRange.fixed(low: 0, high: 2).resolve(values) == (0, 2))
        XCTAssertTrue(HeatmapRange.perMap.resolve([3, 3]) == (2.5, 3.5))
        XCTAssertTrue(HeatmapRange.symmetric.resolve([0, 0]) == (-1, 1))
    }

    func testHeatmapColoursAndCells() {
        let heat = Heatmap(width: 3, height: 1, values: [-1, 0, 1])
        let image = heat.image(colorMap: .rdBuR, range: .symmetric)
        XCTAssertEqual(image[0, 0], ColorMap.rdBuR.colors[0])
        XCTAssertEqual(image[1, 0], ColorMap.rdBuR.colors[128])   // zero -> the white middle
        XCTAssertEqual(image[2, 0], ColorMap.rdBuR.colors[255])
        let grid = heat.cells(colorMap: .rdBuR, range: .symmetric, columns: 6, rows: 2, config: CanvasConfig())
        XCTAssertEqual(grid[0, 0].foreground, .rgb(ColorMap.rdBuR.colors[0]))
        XCTAssertEqual(grid[1, 1].background, .rgb(ColorMap.rdBuR.colors[0]))
        XCTAssertEqual(grid[2, 0].foreground, .rgb(ColorMap.rdBuR.colors[128]))
        XCTAssertEqual(grid[5, 1].foreground, .rgb(ColorMap.rdBuR.colors[255]))
        let over = heat.cells(colorMap: .viridis, range: .perMap, columns: 6, rows: 2,
                              over: RGBImage(width: 6, height: 4, fill: RGB(255, 255, 255)), opacity: 0.5,
                              config: CanvasConfig())
        let v = ColorMap.viridis.colors[0]
        XCTAssertEqual(over[0, 0].foreground, .rgb(RGB(blend(255, v.r, 0.5), blend(255, v.g, 0.5), blend(255, v.b, 0.5))))
    }

    func testColourBarHasTheMapAndTickLabels() {
        let bar = ColorBar(colorMap: .rdBuR, low: -0.8, high: 0.8)
        let grid = bar.grid(width: 21, config: CanvasConfig())
        XCTAssertEqual(grid.height, 2)
        let labels = String(String.UnicodeScalarView(grid.cells[21..<42].map(\.glyph)))
        XCTAssertEqual(labels, "-0.8      0       0.8")
        XCTAssertEqual(grid[0, 0].background, .rgb(ColorMap.rdBuR.color(at: 0.5 / 21)))
        XCTAssertEqual(grid[10, 0].background, .rgb(ColorMap.rdBuR.colors[128]))
        XCTAssertEqual(grid[20, 0].background, .rgb(ColorMap.rdBuR.color(at: 20.5 / 21)))
        let small = ColorBar(colorMap: .viridis, low: 0, high: 0.00042).grid(width: 30, config: CanvasConfig(colorMode: .xterm256))
        let text = String(String.UnicodeScalarView(small.cells[30..<60].map(\.glyph)))
        XCTAssertEqual(text, "0          2.1e-04     4.2e-04")
        if case .indexed = small[0, 0].background {} else { XCTFail("256-colour bar uses palette indices") }
    }

    func testCompactNumbers() {
        XCTAssertEqual(CellText.compact(0.25), "0.25")
        XCTAssertEqual(CellText.compact(-1.5), "-1.5")
        XCTAssertEqual(CellText.compact(1200), "1200")
        XCTAssertEqual(CellText.compact(3.14159), "3.14")
        XCTAssertEqual(CellText.compact(0.000031), "3.1e-05")
        XCTAssertEqual(CellText.compact(0.00042), "4.2e-04")
        XCTAssertEqual(CellText.compact(250000), "2.5e+05")
        XCTAssertEqual(CellText.compact(0), "0")
    }

    func testTextIsClippedToTheGrid() {
        var grid = CellGrid(width: 5, height: 1)
        let end = CellText.write("abcdef", into: &grid, x: 2, y: 0, foreground: .indexed(3))
        XCTAssertEqual(end, 8)
        XCTAssertEqual(String(String.UnicodeScalarView(grid.cells.map(\.glyph))), "  abc")
        XCTAssertEqual(grid[2, 0].foreground, .indexed(3))
        CellText.write("zz", into: &grid, x: 0, y: 5)   // off the grid: nothing
        XCTAssertEqual(grid[0, 0], .blank)
    }
}
