import Foundation

/// Creating, truncating, writing in place and removing files by their bytes (`PathBytes`), for
/// the few files reclip changes in place rather than replacing atomically (a download's part
/// file and its notes). `FileManager` and `FileHandle(forWritingTo:)` pass a path's UTF-8 to the
/// kernel and so cannot reach a non-UTF-8 name.
///
/// ```swift
/// guard FileChanges.truncate("model.safetensors.part") else { ... }
/// let handle = try FileChanges.handleForWriting("model.safetensors.part")
/// FileChanges.remove("model.safetensors.part.url")
/// ```
public enum FileChanges {
    /// Creates `path` empty, or empties it when it exists (0666 less the umask for a new
    /// file); false when that fails.
    public static func truncate(_ path: String) -> Bool {
        let fd = PathBytes.withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// A handle writing the existing file `path` at its start (seek and truncate as needed).
    public static func handleForWriting(_ path: String) throws -> FileHandle {
        let fd = PathBytes.withCString(path) { open($0, O_WRONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw FileError(file: path, FileBytes.reason(errno)) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Removes the file `path` if it is there (a missing file is not an error).
    public static func remove(_ path: String) {
        _ = PathBytes.withCString(path) { unlink($0) }
    }

    /// The text of a small file (at most 1 MiB), or nil when it cannot be read.
    public static func text(_ path: String) -> String? {
        (try? FileBytes.read(path, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
    }
}
