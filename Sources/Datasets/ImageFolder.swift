import Foundation

/// A folder of unlabelled images for training.
public enum ImageFolder {
    /// PNG and JPEG files directly in `path` (or in its `JPEGImages/` when that exists), sorted by name.
    public static func list(_ path: String) throws -> [URL] {
        var root = URL(fileURLWithPath: path, isDirectory: true)
        let voc = root.appendingPathComponent("JPEGImages", isDirectory: true)
        if FileManager.default.fileExists(atPath: voc.path) { root = voc }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            throw DatasetError(file: path, problem: "cannot list the folder")
        }
        let images = names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { root.appendingPathComponent($0) }
        guard !images.isEmpty else { throw DatasetError(file: root.path, problem: "no .png or .jpg images") }
        return images
    }
}
