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
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
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

    /// Calls `body` with the regular file at `path` piece by piece, in order, each piece at most
    /// `pieceSize` bytes: for hashing or copying a file too large to hold.
    public static func forEachPiece(of path: String, pieceSize: Int = 4 << 20,
                                    _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let (fd, _) = try openRegular(path)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: max(1, pieceSize))
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw FileError(file: path, reason(errno))
            }
            if n == 0 { return }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
    }

    /// The regular file at `path` mapped read-only, without copying: the pages are read as they
    /// are touched and unmapped when the last copy of the `Data` is gone.
    public static func mapped(_ path: String) throws -> Data {
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
        guard size > 0 else { return Data() }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw FileError(file: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        return Data(bytesNoCopy: map, count: size, deallocator: .custom { p, n in munmap(p, n) })
    }

    /// Opens `path` for reading, its bytes as they are (`PathBytes`): the descriptor, or -1
    /// with `errno` set. O_NONBLOCK: opening a FIFO must not wait for a writer, so a caller
    /// checks the type (`checkRegular`) before reading.
    public static func openForReading(_ path: String) -> Int32 {
        PathBytes.withCString(path) { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    }

    /// Opens the regular file at `path` for reading: its descriptor (the caller closes it) and size.
    static func openRegular(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let fd = openForReading(path)
        guard fd >= 0 else { throw FileError(file: path, reason(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw FileError(file: path, reason(code))
        }
        do { try checkRegular(info, path: path) } catch { close(fd); throw error }
        return (fd, Int(info.st_size))
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
