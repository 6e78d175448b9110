import Foundation

/// Symbolic links read for paths that may hold any bytes (`PathBytes`): `FileManager`'s
/// `destinationOfSymbolicLink` and `URL.resolvingSymlinksInPath` decode what the kernel gives
/// as UTF-8 and so lose a non-UTF-8 name's bytes.
///
/// ```swift
/// SymbolicLinks.target(of: "/proc/self/exe")     // "/opt/caf\u{10DCE9}/bin/reclip"
/// SymbolicLinks.resolved("bin/../bin/reclip")    // the absolute path with no link in it
/// ```
public enum SymbolicLinks {
    /// What the link at `path` points to, as stored (`readlink(2)`), or nil when `path` is not a link.
    public static func target(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = PathBytes.withCString(path) { readlink($0, &buffer, buffer.count - 1) }
        return n > 0 ? PathBytes.string(buffer[..<n].map { UInt8(bitPattern: $0) }) : nil
    }

    /// The absolute path `path` names with every link, `.` and `..` resolved (`realpath(3)`),
    /// or nil when some part of it does not exist.
    public static func resolved(_ path: String) -> String? {
        guard let real = PathBytes.withCString(path, { realpath($0, nil) }) else { return nil }
        defer { free(real) }
        return PathBytes.string(cString: real)
    }
}
