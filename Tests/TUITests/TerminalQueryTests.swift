import Foundation
import XCTest
import Render
@testable import TUI
#if canImport(Glibc)
import Glibc
#endif

/// The detection query on a real pseudo-terminal: this test plays the terminal on the master
/// side, answering with canned replies (whole, in pieces, late) or not at all, and checks the
/// replies read, the time taken and that the modes are put back.
final class TerminalQueryTests: XCTestCase {
    /// A pseudo-terminal pair: `slave` is what the program sees, `master` the terminal's end.
    struct PTY {
        let master: Int32
        let slave: Int32

        init() throws {
            // glibc's posix_openpt, grantpt, unlockpt and ptsname, which Swift's Glibc module
            // leaves out (they need _XOPEN_SOURCE), looked up by name.
            typealias Open = @convention(c) (Int32) -> Int32
            typealias Step = @convention(c) (Int32) -> Int32
            typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
            let libc = dlopen(nil, RTLD_NOW)
            guard let o = dlsym(libc, "posix_openpt"), let g = dlsym(libc, "grantpt"), let u = dlsym(libc, "unlockpt"),
                  let n = dlsym(libc, "ptsname") else { throw XCTSkip("no pseudo-terminal functions here") }
            master = unsafeBitCast(o, to: Open.self)(O_RDWR | O_NOCTTY)
            guard master >= 0, unsafeBitCast(g, to: Step.self)(master) == 0, unsafeBitCast(u, to: Step.self)(master) == 0,
                  let name = unsafeBitCast(n, to: Name.self)(master) else {
                throw XCTSkip("no pseudo-terminals here")
            }
            slave = open(String(cString: name), O_RDWR | O_NOCTTY)
            guard slave >= 0 else { throw XCTSkip("cannot open the pseudo-terminal's slave") }
        }

        func close() {
            _ = Glibc.close(slave)
            _ = Glibc.close(master)
        }

        var modes: termios {
            var t = termios()
            tcgetattr(slave, &t)
            return t
        }
    }

    /// Reads the query on the master side, then writes `pieces` with `delay` seconds before each.
    private func answer(_ pty: PTY, pieces: [String], delay: Double) -> Thread {
        let master = pty.master
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 256)
            _ = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            for piece in pieces {
                Thread.sleep(forTimeInterval: delay)
                let bytes = Array(piece.utf8)
                _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            }
        }
        thread.start()
        return thread
    }

    private let xtermReply = "\u{1B}[?63;1;2;4;6;9;15;16;22;28c"

    func testReadsTheRepliesUntilDA1AndRestoresTheModes() throws {
        let pty = try PTY()
        defer { pty.close() }
        let before = pty.modes
        XCTAssertNotEqual(before.c_lflag & tcflag_t(ECHO), 0, "a pty starts cooked")
        _ = answer(pty, pieces: ["\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t", "\u{1B}[?62;", "4;22c"], delay: 0.01)
        let answer = try XCTUnwrap(TerminalQuery.ask(fd: pty.slave, query: GraphicsProtocol.detectionQuery(),
                                                     timeoutMilliseconds: 2000, isComplete: GraphicsSetup.repliesAreComplete))
        XCTAssertTrue(answer.complete)
        XCTAssertEqual(String(decoding: answer.bytes, as: UTF8.self), "\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;4;22c",
                       "pieces are joined and reading stops at the DA1 reply")
        XCTAssertLessThan(answer.milliseconds, 1500, "the DA1 reply ends the wait, not the timeout")
        let after = pty.modes
        XCTAssertEqual(after.c_lflag, before.c_lflag, "echo, canonical mode and signals are back")
        XCTAssertEqual(after.c_iflag, before.c_iflag)
        let setup = GraphicsSetup.decide(environment: ["TERM": "xterm-kitty"], replies: answer.bytes, windowPixels: nil,
                                         columns: 80, rows: 24)
        XCTAssertEqual(setup.graphics, .kitty)
        XCTAssertEqual(setup.cellSize, CellPixelSize(width: 10, height: 20))
    }

    func testTheQueryReachesTheTerminalWhole() throws {
        let pty = try PTY()
        defer { pty.close() }
        let master = pty.master
        let received = ReceivedBytes()
        let thread = Thread {
            var all: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while !String(decoding: all, as: UTF8.self).hasSuffix("\u{1B}[c") {
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                all += buffer[0..<n]
            }
            received.set(all)
            let reply = Array("\u{1B}[?62;c".utf8)
            _ = reply.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }
        thread.start()
        let answer = TerminalQuery.ask(fd: pty.slave, query: GraphicsProtocol.detectionQuery(tmuxPassthrough: true),
                                       timeoutMilliseconds: 2000, isComplete: GraphicsSetup.repliesAreComplete)
        XCTAssertEqual(answer?.complete, true)
        XCTAssertEqual(received.get(), GraphicsProtocol.detectionQuery(tmuxPassthrough: true), "the query arrives byte for byte")
    }

    func testNoReplyTimesOutAndFallsBackToCells() throws {
        let pty = try PTY()
        defer { pty.close() }
        let before = pty.modes
        _ = answer(pty, pieces: [], delay: 0)
        let answer = try XCTUnwrap(TerminalQuery.ask(fd: pty.slave, query: GraphicsProtocol.detectionQuery(),
                                                     timeoutMilliseconds: 150, isComplete: GraphicsSetup.repliesAreComplete))
        XCTAssertFalse(answer.complete)
        XCTAssertEqual(answer.bytes, [])
        XCTAssertGreaterThanOrEqual(answer.milliseconds, 149)
        XCTAssertLessThan(answer.milliseconds, 600, "the timeout bounds the wait")
        XCTAssertEqual(pty.modes.c_lflag, before.c_lflag)
        XCTAssertEqual(GraphicsSetup.decide(environment: ["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"], replies: answer.bytes,
                                            windowPixels: nil, columns: 80, rows: 24).graphics, .cells)
    }

    func testAnIncompleteReplyEndsAtTheTimeout() throws {
        let pty = try PTY()
        defer { pty.close() }
        _ = answer(pty, pieces: ["\u{1B}[?62;"], delay: 0.01)
        let answer = try XCTUnwrap(TerminalQuery.ask(fd: pty.slave, query: GraphicsProtocol.detectionQuery(),
                                                     timeoutMilliseconds: 200, isComplete: GraphicsSetup.repliesAreComplete))
        XCTAssertFalse(answer.complete, "half a DA1 reply is not complete")
        XCTAssertEqual(String(decoding: answer.bytes, as: UTF8.self), "\u{1B}[?62;")
        XCTAssertGreaterThanOrEqual(answer.milliseconds, 199)
        XCTAssertEqual(GraphicsSetup.decide(environment: ["TERM": "xterm"], replies: answer.bytes, windowPixels: nil,
                                            columns: 80, rows: 24).graphics, .cells)
    }

    func testNotATerminalIsNotAsked() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertNil(TerminalQuery.ask(fd: fds[1], query: [0x1B], timeoutMilliseconds: 10, isComplete: { _ in true }))
        let setup = TerminalQuery.detectGraphics(fd: fds[1], environment: ["TERM": "xterm", "LANG": "C.UTF-8"], unicode: true,
                                                 override: nil)
        XCTAssertEqual(setup, GraphicsSetup.cells)
        let forced = TerminalQuery.detectGraphics(fd: fds[1], environment: ["TERM": "xterm"], unicode: true, override: .sixel)
        XCTAssertEqual(forced.graphics, .sixel)
        XCTAssertEqual(forced.cellSize, GraphicsSetup.assumedCellSize)
    }

    func testDetectGraphicsUsesTheWindowSizeForTheCellSize() throws {
        let pty = try PTY()
        defer { pty.close() }
        var window = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 484, ws_ypixel: 316)
        XCTAssertEqual(ioctl(pty.slave, UInt(TIOCSWINSZ), &window), 0)
        _ = answer(pty, pieces: [xtermReply], delay: 0.005)
        let setup = TerminalQuery.detectGraphics(fd: pty.slave, environment: ["TERM": "xterm", "LANG": "C.UTF-8"], unicode: true,
                                                 override: nil, timeoutMilliseconds: 2000)
        XCTAssertEqual(setup.graphics, .sixel)
        XCTAssertEqual(setup.cellSize, CellPixelSize(width: 6, height: 13))
        XCTAssertEqual(setup.cellSizeSource, .windowSize)
    }
}

/// Bytes handed from the terminal thread to the test, under a lock.
final class ReceivedBytes: @unchecked Sendable {
    // @unchecked Sendable: `bytes` is only touched while `lock` is held.
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func set(_ value: [UInt8]) { lock.lock(); bytes = value; lock.unlock() }
    func get() -> [UInt8] { lock.lock(); defer { lock.unlock() }; return bytes }
}

extension TerminalQueryTests {
    /// Inside tmux with kitty named by the environment, tmux is asked whether it lets
    /// sequences through (`allow-passthrough`), on a private tmux server; without kitty named it
    /// is not asked at all.
    func testTmuxPassthroughIsAskedOfTheTmuxItRunsIn() throws {
        let tmux = try TmuxSession(width: 80, height: 24)
        defer { tmux.kill() }
        let socket = "/tmp/tmux-\(getuid())/\(tmux.socket)"
        var env = ["PATH": "/usr/bin:/bin", "TMUX": "\(socket),1,0", "KITTY_WINDOW_ID": "1", "TERM": "tmux-256color"]
        _ = try tmux.run(["set-option", "-g", "allow-passthrough", "on"])
        XCTAssertTrue(TerminalQuery.tmuxAllowsPassthrough(environment: env))
        _ = try tmux.run(["set-option", "-g", "allow-passthrough", "off"])
        XCTAssertFalse(TerminalQuery.tmuxAllowsPassthrough(environment: env))
        _ = try tmux.run(["set-option", "-g", "allow-passthrough", "on"])
        env["KITTY_WINDOW_ID"] = nil
        XCTAssertFalse(TerminalQuery.tmuxAllowsPassthrough(environment: env), "not asked without kitty named")
        // A tmux that cannot be reached answers no.
        XCTAssertFalse(TerminalQuery.tmuxAllowsPassthrough(environment: ["PATH": "/usr/bin:/bin", "KITTY_WINDOW_ID": "1",
                                                                         "TMUX": "/nonexistent/socket,1,0"]))
    }

    /// kitty places images inside tmux by Unicode placeholders, which it has since 0.28: a
    /// kitty 0.26.5 under Xvfb rejected the placement ("invalid key character: 0x55", the `U`)
    /// and showed nothing (`scripts/real_terminals.sh`, its tmux part), so an older kitty gets cells.
    func testAKittyOlderThanPlaceholdersIsNotSentImagesThroughTmux() {
        XCTAssertFalse(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: "kitty(0.26.5)"))
        XCTAssertFalse(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: "kitty(0.27.1)"))
        XCTAssertTrue(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: "kitty(0.28.0)"))
        XCTAssertTrue(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: "kitty(0.35.2)"))
        XCTAssertTrue(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: "kitty(1.0)"))
        for unknown in ["", "xterm(379)", "kitty", "kitty()", "kitty(x.y)", "WezTerm 20240203"] {
            XCTAssertTrue(TerminalQuery.kittyPlacesUnicodePlaceholders(termtype: unknown), unknown)
        }
    }
}
