import Foundation

/// Whole-file reads and atomic whole-file writes (temporary file in the same directory,
/// then rename), with failures as `RenderError`s naming the file.
enum FileBytes {
    /// Reads the whole file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw RenderError(file: path, .unreadable(exists ? "permission denied" : "no such file"))
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw RenderError(file: path, .unreadable("\(error.localizedDescription)"))
        }
    }

    /// Writes `bytes` to `path` atomically: readers see the old file or the new one, never a
    /// half-written one.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw RenderError(file: path, .unwritable("cannot create a file in \(directory)"))
        }
        if rename(temporary, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw RenderError(file: path, .unwritable(why))
        }
    }
}
