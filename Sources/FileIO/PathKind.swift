import Foundation

/// What a path names, as `stat(2)` sees it, for paths that may hold any bytes (`PathBytes`):
/// `FileManager.fileExists` passes a path's UTF-8 to the kernel and so cannot find a
/// non-UTF-8 name.
///
/// ```swift
/// if PathKind.of("VOC2012/JPEGImages") == .folder { ... }
/// ```
public enum PathKind: Equatable, Sendable {
    /// A regular file.
    case file
    /// A directory.
    case folder
    /// A symbolic link (only when links are not followed).
    case link
    /// A FIFO, socket or device.
    case other

    /// What `path` names (through symbolic links unless `followingLinks` is false), or nil when
    /// nothing is there or it cannot be examined.
    public static func of(_ path: String, followingLinks: Bool = true) -> PathKind? {
        guard let info = status(path, followingLinks: followingLinks) else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .link
        default: return .other
        }
    }

    /// `stat(2)` (or `lstat(2)`) of `path`, or nil.
    public static func status(_ path: String, followingLinks: Bool = true) -> stat? {
        var info = stat()
        let r = PathBytes.withCString(path) { followingLinks ? stat($0, &info) : lstat($0, &info) }
        return r == 0 ? info : nil
    }
}
