import Foundation
import CFuzzerDriver

// What every harness shares: the input as bytes, a scratch file for readers that take a path,
// and the rule for errors. A harness returns normally for any input the code under test
// handles, thrown errors included; anything else (a trap, an ASan report, a timeout, running
// out of memory) is a finding libFuzzer reports and saves.

/// Hands the process to libFuzzer, which runs `harness` on every input (its flags and
/// corpus folders come from the command line) and exits. A harness's main.swift calls this:
/// SwiftPM links an executable's `main` to that file's top-level code, so libFuzzer's own
/// `main` (the usual route with `-parse-as-library`) is replaced by this call to its driver.
public func runFuzzer(_ harness: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, harness))
}

/// The input libFuzzer hands `LLVMFuzzerTestOneInput`, copied.
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// One file per process that holds the current input, rewritten for each, for readers that
/// open a path (`SafeTensorsFile` maps it; `Rectifier.load` goes by the extension). It lives
/// in /dev/shm when there is one, so a run does not wear a disk.
public final class ScratchFile: Sendable {
    public let path: String

    /// A file named `reclip-fuzz-<pid>-<name>`.
    public init(name: String) {
        var folder = "/dev/shm"
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            folder = NSTemporaryDirectory()
        }
        path = URL(fileURLWithPath: folder).appendingPathComponent("reclip-fuzz-\(getpid())-\(name)").path
    }

    /// Replaces the file's contents with `bytes`.
    public func write(_ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { fatalError("fuzz harness: cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}

/// Runs `body`, for which throwing is a fine outcome, provided the error is what the person at
/// the keyboard should see: one non-empty line that names `file`. An error that is not, like
/// a crash, stops the run (`fatalError`, which libFuzzer reports as a deadly signal).
public func expectingErrors(naming file: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch {
        let text = String(describing: error)
        if text.isEmpty || text.contains(where: \.isNewline) || !text.contains(file) {
            fatalError("fuzz harness: the error is not one line naming \(file): \(text.debugDescription)")
        }
    }
}

/// A deterministic stand-in for data a harness needs besides its input (features, logits):
/// `count` values in [-1, 1) from a seed.
public func pseudoRandomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }
}

/// The repository's root, for fixtures a harness loads once (the CLIP a rectifier must fit):
/// `RECLIP_ROOT` when set, else found from this file's path at build time.
public let repositoryRoot: URL = {
    if let root = ProcessInfo.processInfo.environment["RECLIP_ROOT"], !root.isEmpty {
        return URL(fileURLWithPath: root)
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}()
