import Foundation

/// A file as it is now, for caches keyed by files that may change: its size and modification
/// time, `"size:seconds-since-1970"`; nil when the file cannot be examined. Any path
/// `PathBytes` carries can be stamped, a non-UTF-8 name too.
///
/// `attributes(_:)` gives the same two facts as `FileManager.attributesOfItem` reports them
/// (`.size`, and `.modificationDate` as seconds since 1970, rounded through `Date` as it rounds
/// them), for the keys that were first built from `FileManager` and must stay valid.
public enum FileStamp {
    public static func of(_ url: URL) -> String? {
        guard let info = PathKind.status(url.path) else { return nil }
        let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000
        return "\(info.st_size):\(seconds)"
    }

    /// The size in bytes and the modification time of `path` (following links) as
    /// `FileManager` gives them, or nil when the file cannot be examined.
    public static func attributes(_ path: String) -> (size: Int, modified: TimeInterval)? {
        guard let info = PathKind.status(path) else { return nil }
        // As swift-foundation's FileManager makes its Date: from the reference date, then back.
        let date = Date(timeIntervalSinceReferenceDate: Double(info.st_mtim.tv_sec) - Date.timeIntervalBetween1970AndReferenceDate
                        + Double(info.st_mtim.tv_nsec) / 1_000_000_000)
        return (Int(info.st_size), date.timeIntervalSince1970)
    }
}
