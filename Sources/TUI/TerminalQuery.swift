import Foundation
import Render
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks a terminal something and reads its answer: raw mode (no echo, no line editing, no
/// signal keys), the query written, replies read until `isComplete` says so or the timeout
/// runs out, then the modes put back exactly as they were, on every path (`defer`). Anything
/// still unread when the time is up is flushed, so a late reply does not turn up as keys.
///
/// Runs before ncurses takes the terminal, on any descriptor of it (the tests use a
/// pseudo-terminal whose other end answers with canned replies, or not at all).
///
/// ```swift
/// let replies = TerminalQuery.ask(fd: tty, query: GraphicsProtocol.detectionQuery(),
///                                 timeoutMilliseconds: 150, isComplete: GraphicsSetup.repliesAreComplete)
/// ```
public enum TerminalQuery {
    /// What came back, and how long it took.
    public struct Answer: Sendable, Equatable {
        /// Every byte read, in order (empty when nothing came).
        public var bytes: [UInt8]
        /// Whether `isComplete` accepted the bytes before the timeout.
        public var complete: Bool
        /// Milliseconds from writing the query to the end of reading.
        public var milliseconds: Double
    }

    /// Writes `query` to `fd` in raw mode and reads the replies; nil when `fd` is not a
    /// terminal (its modes cannot be read) or the query cannot be written.
    public static func ask(fd: Int32, query: [UInt8], timeoutMilliseconds: Int,
                           isComplete: ([UInt8]) -> Bool) -> Answer? {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        defer {
            // TCSANOW, not TCSAFLUSH: the flush below drops unread input only on a timeout.
            var restore = saved
            _ = tcsetattr(fd, TCSANOW, &restore)
        }
        let start = monotonicMilliseconds()
        guard writeAll(fd, query) else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        var complete = false
        while !complete {
            let left = Double(timeoutMilliseconds) - (monotonicMilliseconds() - start)
            if left <= 0 { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left.rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, poller.revents & Int16(POLLIN) != 0 else {
                if ready > 0 { break }   // hang-up or error: nothing more will come
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
            complete = isComplete(bytes)
        }
        if !complete { tcflush(fd, TCIFLUSH) }
        return Answer(bytes: bytes, complete: complete, milliseconds: monotonicMilliseconds() - start)
    }

    /// The terminal's size in cells and pixels from `TIOCGWINSZ` on `fd` (pixels are zero
    /// when the terminal does not fill them in), or nil.
    public static func windowSize(fd: Int32) -> (columns: Int, rows: Int, pixelWidth: Int, pixelHeight: Int)? {
        var window = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else { return nil }
        return (Int(window.ws_col), Int(window.ws_row), Int(window.ws_xpixel), Int(window.ws_ypixel))
    }

    /// Detects how pictures can be shown on the terminal of `fd` (both ends of a tty):
    /// `GraphicsSetup.decide` over the detection query's replies, the window size and the
    /// environment. Writes nothing when the override and environment already decide it.
    public static func detectGraphics(fd: Int32, environment: [String: String], unicode: Bool,
                                      override: GraphicsProtocol?, cellSizeOverride: CellPixelSize? = nil,
                                      timeoutMilliseconds: Int = GraphicsSetup.replyTimeoutMilliseconds) -> GraphicsSetup {
        let window = windowSize(fd: fd)
        var replies: [UInt8]?
        if isatty(fd) == 1, GraphicsSetup.needsQuery(environment: environment, unicode: unicode, override: override,
                                                      cellSizeOverride: cellSizeOverride) {
            let query = GraphicsProtocol.detectionQuery(tmuxPassthrough: TmuxPassthrough.isInside(environment: environment))
            replies = ask(fd: fd, query: query, timeoutMilliseconds: timeoutMilliseconds,
                          isComplete: GraphicsSetup.repliesAreComplete)?.bytes
        }
        let passthrough = replies != nil && TmuxPassthrough.isInside(environment: environment)
            && tmuxAllowsPassthrough(environment: environment)
        return GraphicsSetup.decide(environment: environment, replies: replies,
                                    windowPixels: window.map { ($0.pixelWidth, $0.pixelHeight) },
                                    columns: window?.columns ?? 0, rows: window?.rows ?? 0, unicode: unicode,
                                    override: override, cellSizeOverride: cellSizeOverride, tmuxPassthrough: passthrough)
    }

    /// Whether the tmux this runs in lets kitty images through to the outer terminal:
    /// `tmux show-options -gqv allow-passthrough` says `on` or `all` (tmux 3.3 and later; an
    /// older tmux, a failure or no answer within 500 ms: no), and the outer kitty places images
    /// by Unicode placeholders, which kitty has since 0.28 (`#{client_termtype}`, the outer
    /// terminal's own XTVERSION answer, e.g. `kitty(0.26.5)`: an older kitty rejects the
    /// placement as malformed and shows nothing, so cells are the better choice there). Only
    /// asked inside tmux with kitty named by the environment, the one case where it decides
    /// anything.
    static func tmuxAllowsPassthrough(environment: [String: String], timeoutSeconds: Double = 0.5) -> Bool {
        guard GraphicsProtocol.environmentNamesKitty(environment),
              let value = tmuxOutput(["show-options", "-gqv", "allow-passthrough"], environment: environment, timeoutSeconds: timeoutSeconds),
              value == "on" || value == "all" else { return false }
        let outer = tmuxOutput(["display-message", "-p", "#{client_termtype}"], environment: environment, timeoutSeconds: timeoutSeconds)
        return kittyPlacesUnicodePlaceholders(termtype: outer ?? "")
    }

    /// False only for a terminal type that names a kitty older than 0.28 (`kitty(0.26.5)`);
    /// anything else (another terminal, no answer, an unreadable version) is not held against it.
    static func kittyPlacesUnicodePlaceholders(termtype: String) -> Bool {
        guard termtype.hasPrefix("kitty("), termtype.hasSuffix(")") else { return true }
        let parts = termtype.dropFirst("kitty(".count).dropLast().split(separator: ".").map { Int($0) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return true }
        return (major, minor) >= (0, 28)
    }

    /// What `tmux ARGS` prints (trimmed), or nil on a failure or no answer within the timeout.
    static func tmuxOutput(_ arguments: [String], environment: [String: String], timeoutSeconds: Double) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tmux"] + arguments
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning { p.terminate(); return nil }
        let value = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 ? value : nil
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    static func monotonicMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
