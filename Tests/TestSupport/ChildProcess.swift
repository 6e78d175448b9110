import Foundation

/// What a finished child process left: its exit status, everything it wrote to each stream,
/// and how long it ran.
public struct ChildProcessResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: [UInt8]
    public let seconds: Double

    /// Standard output as text (invalid UTF-8 shown as U+FFFD).
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as text (invalid UTF-8 shown as U+FFFD).
    public var err: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a program to its end with a given environment, the one way the tests start a child.
///
/// Both output streams go to files, not pipes, so a child that fills one stream while the
/// other is being read cannot block; standard input is the null device, so a child that reads
/// it sees end of file at once instead of waiting on the test runner's terminal.
public enum ChildProcess {
    /// Runs `executable` with `arguments` and exactly `environment` (nothing inherited), in
    /// `directory` when given, and waits for it.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                           directory: URL? = nil) throws -> ChildProcessResult {
        let streams = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: streams, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: streams) }
        let outURL = streams.appendingPathComponent("stdout"), errURL = streams.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }

        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = environment
        if let directory { p.currentDirectoryURL = directory }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let start = Date()
        try p.run()
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        return ChildProcessResult(status: p.terminationStatus,
                                  stdout: [UInt8](try Data(contentsOf: outURL)),
                                  stderr: [UInt8](try Data(contentsOf: errURL)),
                                  seconds: seconds)
    }

    /// Runs `script` with `/bin/sh -c`, `PATH=/usr/bin:/bin` and the given variables.
    public static func shell(_ script: String, variables: [String: String] = [:]) throws -> ChildProcessResult {
        try run("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"].merging(variables) { $1 })
    }
}
