import FileIO
import Foundation

/// A folder of unlabelled images for training.
public enum ImageFolder {
    /// PNG and JPEG files directly in `path` (or in its `JPEGImages/` when that exists), sorted
    /// by name. Names are listed as bytes (`FolderListing`), so a non-UTF-8 one can be opened.
    public static func list(_ path: String) throws -> [URL] {
        var root = PathBytes.fileURL(path, isDirectory: true)
        let voc = root.appendingPathComponent("JPEGImages", isDirectory: true)
        if PathKind.of(voc.path) != nil { root = voc }
        guard let names = try? FolderListing.names(root.path) else {
            throw DatasetError(file: path, problem: "cannot list the folder")
        }
        let images = names.filter(ImageCollection.isImageName).sorted().map { root.appendingPathComponent($0) }
        guard !images.isEmpty else { throw DatasetError(file: root.path, problem: "no .png or .jpg images") }
        return images
    }
}
