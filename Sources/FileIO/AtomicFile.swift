import Foundation

/// Atomic whole-file writes: readers see the old file or the new one, never half of either.
///
/// The new contents go to a temporary file in the destination's folder, are flushed to disk,
/// and are renamed over the destination. What the user had is kept: a destination that is a
/// symbolic link is written through (its target is replaced, the link stays), and a replaced
/// file keeps its permission bits (a new file gets 0666 less the umask, as `open` would).
/// Paths may hold any bytes (`PathBytes`).
///
/// ```swift
/// try AtomicFile.write(Array(text.utf8), to: "classes.txt")
/// try AtomicFile.write(to: "view.png") { temporary in try encoder.write(to: temporary) }
/// ```
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try writePieces(to: path) { append in try bytes.withUnsafeBytes { try append($0) } }
    }

    /// Writes to `path` atomically what `body` hands, piece after piece, to the function it is
    /// given: for contents made or copied a piece at a time (a weights file several GB long).
    ///
    /// ```swift
    /// try AtomicFile.writePieces(to: copy) { append in try FileBytes.forEachPiece(of: original, append) }
    /// ```
    public static func writePieces(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try write(to: path) { temporary in
            let fd = PathBytes.withCString(temporary) { open($0, O_WRONLY | O_TRUNC | O_CLOEXEC) }
            guard fd >= 0 else { throw FileError(file: path, FileBytes.reason(errno)) }
            defer { close(fd) }
            try body { piece in
                var done = 0
                while done < piece.count {
                    let n = Foundation.write(fd, piece.baseAddress! + done, piece.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FileError(file: path, FileBytes.reason(errno))
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else { throw FileError(file: path, FileBytes.reason(errno)) }
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write([UInt8](data), to: path)
    }

    /// Runs `body` with the path of an empty temporary file beside the destination, then moves
    /// the temporary file over `path` (the temporary file is removed if anything fails).
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let destination = resolvingLinks(path)
        let (folder, name) = PathBytes.folderAndName(destination)
        var template = PathBytes.bytes(of: folder + "/." + name + ".XXXXXX").map { CChar(bitPattern: $0) } + [0]
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FileError(file: path, "cannot create a file in \(terminalSafe(folder)) (\(FileBytes.reason(errno)))")
        }
        let temporary = PathBytes.string(cString: template)
        // mkstemp creates 0600; give the new file the mode the user would expect.
        let mode = existingMode(destination) ?? (0o666 & ~currentUmask())
        let chmodded = fchmod(fd, mode)
        close(fd)
        do {
            guard chmodded == 0 else { throw FileError(file: path, FileBytes.reason(errno)) }
            try body(temporary)
            guard PathBytes.withCString(temporary, { from in PathBytes.withCString(destination) { rename(from, $0) } }) == 0 else {
                throw FileError(file: path, "cannot move the new file into place (\(FileBytes.reason(errno)))")
            }
        } catch {
            _ = PathBytes.withCString(temporary) { unlink($0) }
            throw error
        }
    }

    /// The file a chain of symbolic links ends at (a dangling link's target path), or `path`.
    static func resolvingLinks(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {  // as the kernel's own limit on nested links
            guard PathKind.of(current, followingLinks: false) == .link, let target = SymbolicLinks.target(of: current) else { return current }
            current = target.hasPrefix("/") ? target : PathBytes.folderAndName(current).folder + "/" + target
        }
        return current
    }

    /// The permission bits of an existing file.
    static func existingMode(_ path: String) -> mode_t? {
        PathKind.status(path).map { $0.st_mode & 0o7777 }
    }

    /// The process's umask: Linux reports it in /proc/self/status, which reads it without
    /// changing it; elsewhere it is set and restored (a brief window another thread could see).
    static func currentUmask() -> mode_t {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
           let mask = mode_t(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) {
            return mask
        }
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
