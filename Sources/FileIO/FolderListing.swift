import Foundation

/// The names in a folder as the kernel holds them (`readdir(3)`), each decoded by `PathBytes`
/// so that a non-UTF-8 name can still be opened: `FileManager`'s listings may replace such
/// bytes with U+FFFD.
///
/// ```swift
/// for name in try FolderListing.names("photos").sorted() { open("photos/" + name) ... }
/// ```
public enum FolderListing {
    /// The names in folder `path`, without `.` and `..`, in the order the folder gives them.
    public static func names(_ path: String) throws -> [String] {
        guard let dir = PathBytes.withCString(path, { opendir($0) }) else {
            throw FileError(file: path, errno == ENOTDIR ? "is not a folder" : FileBytes.reason(errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                PathBytes.string(raw.prefix(while: { $0 != 0 }))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
