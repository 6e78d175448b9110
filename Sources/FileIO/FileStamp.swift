import Foundation

/// A file as it is now, for caches keyed by files that may change: its size and modification
/// time, `"size:seconds-since-1970"`; nil when the file cannot be examined. Any path
/// `PathBytes` carries can be stamped, a non-UTF-8 name too.
public enum FileStamp {
    public static func of(_ url: URL) -> String? {
        guard let info = PathKind.status(url.path) else { return nil }
        let seconds = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000
        return "\(info.st_size):\(seconds)"
    }
}
