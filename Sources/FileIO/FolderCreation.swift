import Foundation

/// Folders made as `mkdir -p` makes them, for paths that may hold any bytes (`PathBytes`):
/// `FileManager.createDirectory` passes a path's UTF-8 to the kernel and so cannot make (or
/// find) a folder under a non-UTF-8 name.
///
/// ```swift
/// try FolderCreation.make("runs/caf\u{10DCE9}/features")   // runs/caf\xE9/features
/// ```
public enum FolderCreation {
    /// Makes folder `path` and the parents it lacks (each 0777 less the umask); a folder
    /// already there is not an error, a file in the way is.
    public static func make(_ path: String) throws {
        if PathKind.of(path) == .folder { return }
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let parent = PathBytes.folderAndName(trimmed).folder
        if parent != trimmed, parent != ".", PathKind.of(parent) != .folder { try make(parent) }
        guard PathBytes.withCString(path, { mkdir($0, 0o777) }) == 0 else {
            let code = errno
            if code == EEXIST, PathKind.of(path) == .folder { return }  // made meanwhile by another process
            throw FileError(file: path, code == EEXIST || code == ENOTDIR ? "is not a folder" : FileBytes.reason(code))
        }
    }
}
