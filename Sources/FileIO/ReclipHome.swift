import Foundation

/// The one folder reclip keeps its own files in: `$RECLIP_HOME`, else `~/.cache/reclip`.
/// Weights live at its top (`NAME/model.safetensors`), caches under `cache/`.
public enum ReclipHome {
    /// The process's environment with `RECLIP_HOME` and `HOME` decoded by their bytes
    /// (`PathBytes`): `ProcessInfo` replaces a byte that is not UTF-8 with U+FFFD.
    public static var processEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["RECLIP_HOME", "HOME"] {
            if let value = getenv(name) { environment[name] = PathBytes.string(cString: value) }
        }
        return environment
    }

    /// The folder for the given environment.
    public static func folder(environment: [String: String] = processEnvironment) -> URL {
        if let home = environment["RECLIP_HOME"], !home.isEmpty {
            return PathBytes.fileURL(home, isDirectory: true)
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/reclip", isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/reclip", isDirectory: true)
    }

    /// The cache folder (text classifiers, weight hashes).
    public static func cache(environment: [String: String] = processEnvironment) -> URL {
        folder(environment: environment).appendingPathComponent("cache", isDirectory: true)
    }
}
