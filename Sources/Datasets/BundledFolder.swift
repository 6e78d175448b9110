import Foundation
import FileIO

/// Folders that ship with the package (`samples/`, `models/`), found the same way wherever
/// `reclip` runs from: beside the executable and in each folder above it (a build lives in
/// `<package>/.build/<config>/reclip`), and for data only (`samples/`) first in the current
/// directory. Code-bearing files (model weights) are never taken from the current directory:
/// running `reclip` inside someone else's folder must not load that folder's weights.
///
/// ```swift
/// let samples = BundledFolder.locate("samples", executable: CommandLine.arguments[0])
/// let model = BundledFolder.locate("models/world", executable: CommandLine.arguments[0])
/// ```
public enum BundledFolder {
    /// The running executable's real path (`/proc/self/exe` on Linux, which a bare `reclip` found
    /// on PATH does not give in `argv[0]`), else `argv[0]`.
    public static var currentExecutable: String {
        if let path = SymbolicLinks.target(of: "/proc/self/exe"), path.hasPrefix("/") { return path }
        return PathBytes.arguments[0]
    }

    /// The first existing folder `relativePath` in the current directory (with
    /// `searchCurrentDirectory`) or beside and above the executable.
    public static func locate(_ relativePath: String, executable: String, searchCurrentDirectory: Bool = true,
                              currentDirectory: String = PathBytes.currentDirectory) -> URL? {
        var candidates = searchCurrentDirectory ? [URL(fileURLWithPath: currentDirectory).appendingPathComponent(relativePath)] : []
        let real = SymbolicLinks.resolved(executable) ?? URL(fileURLWithPath: executable).standardizedFileURL.path
        var dir = URL(fileURLWithPath: real).deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent(relativePath))
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { PathKind.of($0.path) == .folder }
    }
}
