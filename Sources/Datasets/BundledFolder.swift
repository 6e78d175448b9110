import Foundation

/// Folders that ship with the package (`samples/`, `models/`), found the same way wherever
/// `reclip` runs from: in the current directory, then beside the executable and in each folder
/// above it (a build lives in `<package>/.build/<config>/reclip`).
///
/// ```swift
/// let samples = BundledFolder.locate("samples", executable: CommandLine.arguments[0])
/// let model = BundledFolder.locate("models/world", executable: CommandLine.arguments[0])
/// ```
public enum BundledFolder {
    /// The first existing folder `relativePath` in the current directory or above the executable.
    public static func locate(_ relativePath: String, executable: String,
                              currentDirectory: String = FileManager.default.currentDirectoryPath) -> URL? {
        var candidates = [URL(fileURLWithPath: currentDirectory).appendingPathComponent(relativePath)]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent(relativePath))
            dir = dir.deletingLastPathComponent()
        }
        var isDir: ObjCBool = false
        return candidates.first { FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDir) && isDir.boolValue }
    }
}
