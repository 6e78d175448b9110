import FileIO
import Foundation

/// The images the explorer browses and, when the folder says so, their ground truth and
/// class names. Folders are listed as bytes (`FolderListing`), so that non-UTF-8 names open.
///
/// ```swift
/// let images = try ImageCollection(paths: ["photos/"])        // a folder, files, or a VOC root
/// let bundled = try ImageCollection.samples(executable: CommandLine.arguments[0])
/// ```
public struct ImageCollection: Sendable, Equatable {
    /// File extensions read as pictures.
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
    /// Folders whose pictures are masks, not photographs.
    static let maskFolders: Set<String> = ["SegmentationClass", "SegmentationObject", "masks"]

    /// The images, in list order.
    public var entries: [ImageEntry]
    /// Class names from a `classes.txt` beside the images (one per line), if one exists.
    public var classes: [String]?

    public init(entries: [ImageEntry], classes: [String]? = nil) {
        self.entries = entries
        self.classes = classes
    }

    /// The images named by `paths`: files, folders (searched recursively), or VOC dataset roots
    /// (`JPEGImages/` with `SegmentationClass/` masks and `classes.txt`).
    public init(paths: [String]) throws {
        var entries: [ImageEntry] = []
        var classes: [String]?
        for path in paths {
            let url = PathBytes.fileURL(path)
            guard let kind = PathKind.of(url.path) else {
                throw DatasetError(file: path, problem: "no such file or folder")
            }
            if kind == .folder {
                let found = try Self.folder(url)
                entries += found.entries
                classes = classes ?? found.classes
            } else {
                guard Self.isImageName(url.lastPathComponent) else {
                    throw DatasetError(file: path, problem: "not a PNG or JPEG image")
                }
                entries.append(ImageEntry(url: url))
            }
        }
        guard !entries.isEmpty else {
            throw DatasetError(file: paths.joined(separator: " "), problem: "no PNG or JPEG images found")
        }
        self.init(entries: entries, classes: classes)
    }

    /// Whether a file name ends in one of `extensions` (any case).
    public static func isImageName(_ name: String) -> Bool {
        extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The images of one folder.
    static func folder(_ url: URL) throws -> ImageCollection {
        let classes = readClasses(url.appendingPathComponent("classes.txt"))
        let voc = VOCLayout(root: url)
        if PathKind.of(voc.imagesFolder.path) != nil {
            let names = (try? FolderListing.names(voc.imagesFolder.path)) ?? []
            let entries = names.sorted().filter(isImageName).map { name -> ImageEntry in
                let stem = (name as NSString).deletingPathExtension
                let mask = voc.masksFolder.appendingPathComponent(stem + ".png")
                return ImageEntry(url: voc.imagesFolder.appendingPathComponent(name),
                                  groundTruth: PathKind.of(mask.path) != nil ? mask : nil)
            }
            return ImageCollection(entries: entries, classes: classes)
        }
        // Plain images anywhere below, and VOC datasets (with their masks) wherever one sits.
        var found: [(path: String, entries: [ImageEntry])] = []
        var datasetClasses: [String]?
        func walk(_ folder: URL) throws {
            // Hidden names are skipped, and links to folders are not followed (no cycles).
            for name in (try? FolderListing.names(folder.path)) ?? [] where !name.hasPrefix(".") && !maskFolders.contains(name) {
                let item = folder.appendingPathComponent(name)
                if PathKind.of(VOCLayout(root: item).imagesFolder.path) != nil {
                    let dataset = try Self.folder(item)
                    found.append((item.path + "/", dataset.entries))
                    datasetClasses = datasetClasses ?? dataset.classes
                } else if PathKind.of(item.path, followingLinks: false) == .folder {
                    try walk(item)
                } else if isImageName(name) {
                    found.append((item.path, [ImageEntry(url: item)]))
                }
            }
        }
        try walk(url)
        let entries = found.sorted { $0.path < $1.path }.flatMap(\.entries)
        return ImageCollection(entries: entries, classes: classes ?? datasetClasses)
    }

    /// Class names, one per non-empty line, or `nil` if the file cannot be read or is empty.
    public static func readClasses(_ url: URL) -> [String]? {
        guard let names = try? TextLines.read(url, what: "class list"), !names.isEmpty else { return nil }
        return names
    }

    /// The `samples/` folder bundled with the package (`BundledFolder`: the current
    /// directory, then beside the executable and each folder above it).
    public static func samplesFolder(executable: String, currentDirectory: String = PathBytes.currentDirectory) -> URL? {
        BundledFolder.locate("samples", executable: executable, currentDirectory: currentDirectory)
    }

    /// The bundled samples, or a clear error when there are none.
    public static func samples(executable: String) throws -> ImageCollection {
        guard let folder = samplesFolder(executable: executable) else {
            throw DatasetError(file: "samples/", problem: "no images given and no samples folder found here or beside the reclip binary; run `reclip DIR` or `reclip FILE...`")
        }
        // The world scenes first: they are what the bundled model knows, so the first screen
        // shows real masks and biases; the photographs follow.
        let world = folder.appendingPathComponent("world")
        let photos = folder.appendingPathComponent("photos")
        guard PathKind.of(world.path) != nil, PathKind.of(photos.path) != nil else {
            return try ImageCollection(paths: [folder.path])
        }
        return try ImageCollection(paths: [world.path, photos.path])
    }
}
