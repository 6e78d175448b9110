import Pixels
import Foundation
import Render
import FileIO
import CLIP
import ReCLIP
import SceneWorld

/// A VOC-layout segmentation dataset ready for evaluation: its class list, whether VOC's
/// "reduce zero label" applies, and its (image, ground truth) pairs for a split. The root may
/// have any name, a non-UTF-8 one too (`PathBytes`).
///
/// Class list:
/// - a `classes.txt` at the root (one name per line, index 0 first; our world generator writes
///   one): every listed class is evaluated, labels are used as they are (no reduce-zero-label);
/// - otherwise PASCAL VOC: the 20 object classes under the authors' names, background (0)
///   ignored and labels 1...20 shifted down by one (mmsegmentation's `reduce_zero_label`).
///
/// ```swift
/// let data = try VOCDataset(root: URL(fileURLWithPath: "VOC2012"))
/// for id in try data.layout.imageIDs(split: "val") { let (img, gt) = try data.sample(id) ... }
/// ```
public struct VOCDataset: Sendable {
    public let layout: VOCLayout
    public let classes: [String]
    public let reduceZeroLabel: Bool

    /// PASCAL VOC's 20 object classes as the authors prompt them (`VOCClasses.objects`).
    public static var vocClasses: [String] { VOCClasses.objects }

    public init(root: URL) throws {
        layout = VOCLayout(root: root)
        guard PathKind.of(root.path) == .folder else {
            throw DatasetError(file: root.path, problem: "no such dataset folder")
        }
        let list = root.appendingPathComponent("classes.txt")
        if PathKind.of(list.path) != nil {
            let names = try TextLines.read(list, what: "class list")
            guard !names.isEmpty else { throw DatasetError(file: list.path, problem: "the class list is empty") }
            guard names.count <= 255 else { throw DatasetError(file: list.path, problem: "more than 255 classes") }
            classes = names
            reduceZeroLabel = false
        } else {
            classes = Self.vocClasses
            reduceZeroLabel = true
        }
    }

    /// The image file of `id`: `JPEGImages/<id>.jpg`, `.jpeg` or `.png`.
    public func imageFile(_ id: String) throws -> URL {
        for ext in ["jpg", "jpeg", "png", "JPG", "PNG"] {
            let u = layout.imagesFolder.appendingPathComponent("\(id).\(ext)")
            if PathKind.of(u.path) != nil { return u }
        }
        throw DatasetError(file: layout.imagesFolder.appendingPathComponent(id).path, problem: "no .jpg or .png image for this id")
    }

    /// The image of `id` and its ground-truth label indices (palette indices of
    /// `SegmentationClass/<id>.png`, row-major), which must have the image's size.
    public func sample(_ id: String) throws -> (image: RGBImage, labels: [UInt8]) {
        let imageURL = try imageFile(id)
        let maskURL = layout.masksFolder.appendingPathComponent("\(id).png")
        let image = try ImageFile.read(path: imageURL.path)
        guard PathKind.of(maskURL.path) != nil else {
            throw DatasetError(file: maskURL.path, problem: "missing ground-truth mask")
        }
        let mask = try ImageFile.readIndexed(path: maskURL.path)
        guard mask.width == image.width, mask.height == image.height else {
            throw DatasetError(file: maskURL.path, problem:
                "mask is \(mask.width)x\(mask.height) but the image is \(image.width)x\(image.height)")
        }
        return (image, mask.indices)
    }
}
