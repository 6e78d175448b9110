import Pixels
import XCTest
import TestSupport
import GraphicsTestSupport
@testable import Render

final class GraphicsProtocolTests: XCTestCase {
    private let kittyOK = "\u{1B}_Gi=31;OK\u{1B}\\"
    private let sixelDA = "\u{1B}[?62;4;22c"
    private let plainDA = "\u{1B}[?62;22c"

    private func choose(_ env: [String: String], da: String? = nil, kitty: String? = nil,
                        override: GraphicsProtocol? = nil, passthrough: Bool = false) -> GraphicsProtocol {
        GraphicsProtocol.choose(environment: env, deviceAttributes: da, kittyReply: kitty, override: override,
                                tmuxPassthrough: passthrough)
    }

    func testPrecedence() {
        let xterm = ["TERM": "xterm-256color"]
        // 1. The override wins over everything, even TERM=dumb.
        XCTAssertEqual(choose(["TERM": "dumb"], override: .sixel), .sixel)
        XCTAssertEqual(choose(xterm, da: sixelDA, kitty: kittyOK, override: .cells), .cells)
        // 2. No TERM or dumb: cells, whatever the replies.
        XCTAssertEqual(choose([:], da: sixelDA, kitty: kittyOK), .cells)
        XCTAssertEqual(choose(["TERM": "dumb"], da: sixelDA, kitty: kittyOK), .cells)
        XCTAssertEqual(choose(["TERM": ""], da: sixelDA), .cells)
        // 3. A kitty reply beats sixel and the environment.
        XCTAssertEqual(choose(xterm, da: sixelDA, kitty: kittyOK), .kitty)
        XCTAssertEqual(choose(["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"], da: sixelDA, kitty: kittyOK), .kitty)
        // One buffer holding every reply works for both arguments.
        let all = kittyOK + "\u{1B}[6;20;10t" + sixelDA
        XCTAssertEqual(choose(xterm, da: all, kitty: all), .kitty)
        // An error reply, or a reply to another id, does not count.
        XCTAssertEqual(choose(xterm, da: sixelDA, kitty: "\u{1B}_Gi=31;EINVAL:bad\u{1B}\\"), .sixel)
        XCTAssertEqual(choose(xterm, da: sixelDA, kitty: "\u{1B}_Gi=7;OK\u{1B}\\"), .sixel)
        // 4. iTerm2 and WezTerm by the environment.
        XCTAssertEqual(choose(["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"]), .iterm)
        XCTAssertEqual(choose(["TERM": "screen-256color", "TERM_PROGRAM": "tmux", "TMUX": "/tmp/t,1,0", "LC_TERMINAL": "iTerm2"], da: plainDA), .iterm)
        XCTAssertEqual(choose(["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"], da: sixelDA), .iterm)
        // 5. kitty by the environment only when nothing answered and not inside tmux.
        XCTAssertEqual(choose(["TERM": "xterm-kitty"]), .kitty)
        XCTAssertEqual(choose(["TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"]), .kitty)
        XCTAssertEqual(choose(["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "3"], da: plainDA), .cells,
                       "DA1 without a kitty reply: the terminal does not speak it")
        XCTAssertEqual(choose(["TERM": "tmux-256color", "KITTY_WINDOW_ID": "3", "TMUX": "/tmp/t,1,0"]), .cells,
                       "inside tmux the variable may be stale")
        // Inside tmux with passthrough allowed, kitty named by the environment: kitty, though tmux
        // answered DA1 itself; without passthrough, or without kitty named, not.
        let tmuxKitty = ["TERM": "tmux-256color", "KITTY_WINDOW_ID": "3", "TMUX": "/tmp/t,1,0", "TERM_PROGRAM": "tmux"]
        XCTAssertEqual(choose(tmuxKitty, da: plainDA, passthrough: true), .kitty)
        XCTAssertEqual(choose(tmuxKitty, da: plainDA, passthrough: false), .cells)
        XCTAssertEqual(choose(["TERM": "tmux-256color", "TMUX": "/tmp/t,1,0"], da: sixelDA, passthrough: true), .sixel)
        XCTAssertEqual(choose(["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "3"], da: plainDA, passthrough: true), .cells,
                       "passthrough only counts inside tmux")
        // 6. DA1 with attribute 4.
        XCTAssertEqual(choose(["TERM": "foot"], da: sixelDA), .sixel)
        XCTAssertEqual(choose(["TERM": "xterm"], da: "\u{1B}[?63;1;2;3;4;6;7;15;18;22;29c"), .sixel)
        // 7. Otherwise cells: no replies, a plain DA1, a VT100 option list.
        XCTAssertEqual(choose(xterm), .cells)
        XCTAssertEqual(choose(xterm, da: plainDA), .cells)
        XCTAssertEqual(choose(["TERM": "vt100"], da: "\u{1B}[?1;4c"), .cells)
        XCTAssertEqual(choose(xterm, da: "garbage", kitty: "garbage"), .cells)
    }

    func testArgumentSpellings() {
        XCTAssertEqual(GraphicsProtocol(argument: "Kitty"), .kitty)
        XCTAssertEqual(GraphicsProtocol(argument: "sixel"), .sixel)
        XCTAssertEqual(GraphicsProtocol(argument: "iterm2"), .iterm)
        XCTAssertEqual(GraphicsProtocol(argument: "none"), .cells)
        XCTAssertNil(GraphicsProtocol(argument: "png"))
        XCTAssertEqual(GraphicsProtocol.allCases.filter(\.drawsPixels), [.kitty, .sixel, .iterm])
    }

    func testDeviceAttributes() {
        XCTAssertEqual(DeviceAttributes.parse(sixelDA), DeviceAttributes(terminalClass: 62, attributes: [4, 22]))
        XCTAssertEqual(DeviceAttributes.parse(sixelDA)?.sixel, true)
        XCTAssertEqual(DeviceAttributes.parse(plainDA)?.sixel, false)
        XCTAssertEqual(DeviceAttributes.parse("\u{1B}[?64;1;2;6;9;15;18;21;22c")?.sixel, false)   // xterm
        XCTAssertEqual(DeviceAttributes.parse("\u{1B}[?62;42;14c")?.sixel, false, "42 is not 4")
        XCTAssertEqual(DeviceAttributes.parse("\u{1B}[?1;2c"), DeviceAttributes(terminalClass: 1, attributes: [2]))
        XCTAssertEqual(DeviceAttributes.parse("\u{1B}[?1;4c")?.sixel, false)
        XCTAssertEqual(DeviceAttributes.parse("\u{1B}[?6c"), DeviceAttributes(terminalClass: 6, attributes: []))
        // Found among other replies; secondary DA (`>`) and non-private CSIs are not DA1.
        XCTAssertEqual(DeviceAttributes.parse("x\u{1B}[>1;4000;0c\u{1B}[6;16;8t\u{1B}[?65;4;1c")?.terminalClass, 65)
        XCTAssertNil(DeviceAttributes.parse("\u{1B}[62;4c"))
        XCTAssertNil(DeviceAttributes.parse("\u{1B}[?62;4"), "incomplete")
        XCTAssertNil(DeviceAttributes.parse(""))
        XCTAssertEqual(DeviceAttributes.query, [0x1B, 0x5B, 0x63])
    }

    func testKittyReplies() {
        XCTAssertEqual(KittyGraphicsReply.parse(kittyOK), KittyGraphicsReply(imageID: 31, message: "OK"))
        XCTAssertTrue(KittyGraphicsReply.parse(kittyOK)!.confirmsSupport)
        let error = KittyGraphicsReply.parse("\u{1B}_Gi=5,p=2;ENOENT:no such image\u{1B}\\")
        XCTAssertEqual(error, KittyGraphicsReply(imageID: 5, placementID: 2, message: "ENOENT:no such image"))
        XCTAssertEqual(error?.isOK, false)
        XCTAssertEqual(KittyGraphicsReply.parseAll("\u{1B}[?62c" + kittyOK + "zz\u{1B}_Gi=8;OK\u{1B}\\").map(\.imageID), [31, 8])
        XCTAssertNil(KittyGraphicsReply.parse("\u{1B}_Gi=31;OK"), "unterminated")
        XCTAssertNil(KittyGraphicsReply.parse(sixelDA))
    }

    func testCellSize() {
        XCTAssertEqual(CellPixelSize.parse("\u{1B}[6;20;10t"), CellPixelSize(width: 10, height: 20))
        XCTAssertEqual(CellPixelSize.parse(kittyOK + "\u{1B}[6;17;8t" + sixelDA), CellPixelSize(width: 8, height: 17))
        XCTAssertNil(CellPixelSize.parse("\u{1B}[6;0;0t"), "some terminals answer zeros")
        XCTAssertNil(CellPixelSize.parse("\u{1B}[4;600;800t"), "a text-area report is not a cell size")
        XCTAssertNil(CellPixelSize.parse("\u{1B}[8;24;80t"))
        XCTAssertNil(CellPixelSize.parse("\u{1B}[6;20t"))
        XCTAssertEqual(CellPixelSize.parse(textAreaReply: "\u{1B}[4;600;800t", columns: 80, rows: 24), CellPixelSize(width: 10, height: 25))
        XCTAssertNil(CellPixelSize.parse(textAreaReply: "\u{1B}[4;600;800t", columns: 0, rows: 24))
        XCTAssertEqual(CellPixelSize.query, Array("\u{1B}[16t".utf8))
    }

    func testSixelColorRegisters() {
        XCTAssertEqual(SixelColorRegisters.parse("\u{1B}[?1;0;1024S"), 1024)
        XCTAssertNil(SixelColorRegisters.parse("\u{1B}[?1;3;0S"), "status 3: failure")
        XCTAssertNil(SixelColorRegisters.parse("\u{1B}[?2;0;1000;800S"), "item 2 is the geometry")
        XCTAssertEqual(String(decoding: SixelColorRegisters.query, as: UTF8.self), "\u{1B}[?1;1;0S")
    }

    func testQueryStrings() throws {
        let query = "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"
        XCTAssertEqual(String(decoding: KittyGraphicsEncoder.queryString(), as: UTF8.self), query)
        XCTAssertEqual(String(decoding: GraphicsProtocol.detectionQuery(), as: UTF8.self), query + "\u{1B}[16t\u{1B}[c")
        let tmux = GraphicsProtocol.detectionQuery(tmuxPassthrough: true)
        XCTAssertEqual(String(decoding: tmux, as: UTF8.self),
                       String(decoding: TmuxPassthrough.wrap(Array(query.utf8)), as: UTF8.self) + "\u{1B}[16t\u{1B}[c")
        // The query's payload is one black RGB pixel.
        XCTAssertEqual(try KittyDecoder.decode(KittyGraphicsEncoder.queryString()).image, RGBImage(width: 1, height: 1))
        XCTAssertTrue(TmuxPassthrough.isInside(environment: ["TMUX": "/tmp/tmux-1000/default,1,0"]))
        XCTAssertFalse(TmuxPassthrough.isInside(environment: ["TMUX": ""]))
    }
}
