import Foundation

/// The one folder reclip keeps its own files in: `$RECLIP_HOME`, else `~/.cache/reclip`.
/// Weights live at its top (`NAME/model.safetensors`), caches under `cache/`.
public enum ReclipHome {
    /// The folder for the given environment.
    public static func folder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["RECLIP_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/reclip", isDirectory: true)
    }

    /// The cache folder (text classifiers, weight hashes).
    public static func cache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        folder(environment: environment).appendingPathComponent("cache", isDirectory: true)
    }
}
