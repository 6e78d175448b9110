import Foundation
import XCTest

/// A private tmux server running a shell, for driving the real `reclip` binary the way a person
/// would: type, press keys, resize, read the screen.
final class TmuxSession {
    let tmux: String
    let socket: String
    let session = "e2e"

    /// The tmux binary, or a failure naming what to install.
    static func locateTmux() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"] {
            let path = "\(dir)/tmux"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TmuxError("tmux is not installed: the explorer's end-to-end tests need it (apt-get install tmux, or scripts/deps tmux)")
    }

    /// The `reclip` binary under test: $RECLIP_BINARY, or the one built beside this test bundle.
    static func locateReclip(file: String = #filePath) throws -> String {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = env["RECLIP_BINARY"] { candidates.append(explicit) }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("reclip").path)
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent("reclip").path) }
        let package = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates += ["debug", "release"].map { package.appendingPathComponent(".build/\($0)/reclip").path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TmuxError("the reclip binary was not found (tried \(candidates.joined(separator: ", "))); build it with `swift build` or set RECLIP_BINARY")
        }
        return found
    }

    init(width: Int, height: Int) throws {
        tmux = try Self.locateTmux()
        socket = "reclip-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try run(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", session,
                 "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 PS1='$ ' sh -m"])
        try run(["set-option", "-g", "default-terminal", "tmux-256color"])
        try run(["set-window-option", "-g", "window-size", "manual"])
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        // Through system(3), not Foundation's Process: the tmux server that `new-session` forks
        // must start with ordinary signal dispositions and no pipes held open to this process.
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: capture) }
        let command = ([tmux, "-L", socket] + arguments).map(Self.quoted).joined(separator: " ")
            + " </dev/null >" + Self.quoted(capture.path) + " 2>&1"
        let status = system(command)
        // Decoded leniently: a screen may hold bytes that are not UTF-8 (a crash report's registers).
        let text = (try? Data(contentsOf: capture)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard status == 0 else {
            throw TmuxError("tmux \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }

    /// `text` as one single-quoted shell word.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Types `line` and Enter into the shell.
    func type(_ line: String) throws {
        try run(["send-keys", "-t", session, "-l", line])
        try run(["send-keys", "-t", session, "Enter"])
    }

    /// Presses tmux key names (`j`, `Tab`, `C-z`, `Up`, ...).
    func press(_ keys: String...) throws {
        for key in keys { try run(["send-keys", "-t", session, key]) }
    }

    /// The screen's text, or with `escapes` its colours as SGR sequences too.
    func screen(escapes: Bool = false) throws -> String {
        try run(["capture-pane", "-p", "-t", session] + (escapes ? ["-e"] : []))
    }

    /// A tmux format value of the pane (`alternate_on`, `pane_pid`, ...).
    func pane(_ format: String) throws -> String {
        try run(["display-message", "-p", "-t", session, "#{\(format)}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits up to `seconds` for `condition` on the screen; returns the last screen seen.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 5, escapes: Bool = false,
                 _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen(escapes: escapes)
            if condition(last) { return last }
            usleep(40_000)
        }
        // Recorded as a failure before it is thrown: swift-corelibs-xctest does not print an
        // error thrown out of a test, and `swift test` does not pass the test binary's stderr on.
        let message = "timed out waiting for \(what); the screen was:\n\(last)"
        XCTFail("TmuxSession: " + message)
        throw TmuxError(message)
    }

    /// Waits for `text` to appear on screen.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 5) throws -> String {
        try waitFor("\"\(text)\"", seconds: seconds) { $0.contains(text) }
    }

    /// The number of bytes the pane's program writes while `action` runs and for `settle` seconds after.
    func bytesWritten(settle: Double = 0.5, _ action: () throws -> Void) throws -> Int {
        try output(settle: settle, action).count
    }

    /// The bytes the pane's program writes while `action` runs and for `settle` seconds after
    /// (tmux's `pipe-pane -o`: what the program wrote, whatever tmux made of it).
    func output(settle: Double = 0.5, _ action: () throws -> Void) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-pipe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try run(["pipe-pane", "-t", session, "-o", "cat > " + Self.quoted(file.path)])
        try action()
        usleep(useconds_t(settle * 1_000_000))
        try run(["pipe-pane", "-t", session])
        usleep(100_000)
        return (try? [UInt8](Data(contentsOf: file))) ?? []
    }

    /// Waits until the pane's program has written nothing for `quiet` seconds, at most `seconds`
    /// in all: what it has drawn, and what it believes is on the screen, are then settled (a
    /// key pressed before that may find a frame half-way, such as pictures about to be sent again).
    func waitUntilQuiet(quiet: Double = 0.3, seconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !(try output(settle: quiet) {}).isEmpty {
            guard Date() < deadline else { throw TmuxError("the program was still writing after \(seconds) s") }
        }
    }

    func resize(width: Int, height: Int) throws {
        try run(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Ends the tmux server and everything in it.
    func kill() {
        _ = try? run(["kill-server"])
        try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
    }
}

struct TmuxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
