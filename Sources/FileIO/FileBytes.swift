import Foundation

/// Whole-file reads that refuse what is not a regular file (a directory, a FIFO that would
/// block, a device) and anything larger than a stated bound, before reading a byte.
///
/// ```swift
/// let bytes = try FileBytes.read("photo.jpg", limit: 256 << 20)
/// ```
public enum FileBytes {
    /// The default bound: 4 GiB.
    public static let defaultLimit = 4 << 30

    /// Reads the whole regular file at `path`, at most `limit` bytes.
    public static func read(_ path: String, limit: Int = defaultLimit) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
        let fd = PathBytes.withCString(path) { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw FileError(file: path, reason(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(file: path, reason(errno)) }
        try checkRegular(info, path: path)
        let size = Int(info.st_size)
        guard size <= limit else {
            throw FileError(file: path, "is \(size) bytes, more than the \(limit)-byte limit for this kind of file")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw FileError(file: path, reason(errno))
            }
            if n == 0 { break }  // the file shrank while it was read
            done += n
        }
        return done == size ? bytes : Array(bytes[..<done])
    }

    /// Throws unless `path` names a regular file (following links), before anything opens it:
    /// for readers that map or stream a file rather than read it whole.
    public static func requireRegularFile(_ path: String) throws {
        guard let info = PathKind.status(path) else { throw FileError(file: path, reason(errno)) }
        try checkRegular(info, path: path)
    }

    /// Throws unless `info` describes a regular file.
    public static func checkRegular(_ info: stat, path: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw FileError(file: path, "is a directory, not a file")
        case S_IFIFO: throw FileError(file: path, "is a FIFO, not a regular file")
        case S_IFSOCK: throw FileError(file: path, "is a socket, not a regular file")
        default: throw FileError(file: path, "is a device, not a regular file")
        }
    }

    /// A few words for an `errno`.
    public static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory, not a file"
        case ENOSPC: return "no space left on the device"
        default: return String(cString: strerror(code))
        }
    }
}
