import Foundation

/// A file as it is now, for caches keyed by files that may change: its size and modification
/// time, `"size:seconds-since-1970"`; nil when the file cannot be examined.
public enum FileStamp {
    public static func of(_ url: URL) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = (a[.size] as? NSNumber)?.intValue,
              let date = a[.modificationDate] as? Date else { return nil }
        return "\(size):\(date.timeIntervalSince1970)"
    }
}
