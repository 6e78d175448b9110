import Foundation
import Math

/// What a rectifier's training images look like in the CLIP's feature space: for each class,
/// the mean unit-length dense feature of the patches the rectifier itself assigns to it (its
/// arg-max at alpha 1, so no label is read) and how many patches that mean is over.
/// `reclip train` records it in the rectifier file; `SiteShift` tests a site's images against it.
///
/// Stored beside the rectifier's tensors as `feature_reference.class_means` [K, D] and
/// `feature_reference.patch_counts` [K] (whole numbers as floats); loading checks both shapes
/// against the class list and every value, and `Rectifier.checkCompatible(with:)` checks D
/// against the CLIP.
///
/// ```swift
/// let ref = FeatureReference(classCount: 12, dimension: 128, features: f, classes: argMax)
/// ref.hullVertices      // the means of the classes with at least `minimumPatches` patches
/// ```
public struct FeatureReference: Sendable, Equatable {
    /// Patches a class needs on the training images to be a vertex of the hull (a mean over
    /// fewer is mostly noise).
    public static let minimumPatches = 50
    /// Tensor names in a rectifier file.
    public static let meansTensor = "feature_reference.class_means"
    public static let countsTensor = "feature_reference.patch_counts"

    public let classCount: Int
    /// D: the CLIP's joint embedding width.
    public let dimension: Int
    /// Class-major [K, D].
    public let classMeans: [Float]
    /// Patches behind each class mean.
    public let patchCounts: [Int]

    /// Means over `features` (one [D, P] channel-major array of unit-length columns per image)
    /// grouped by `classes` (one class index per patch of each image, in 0..<classCount).
    public init(classCount K: Int, dimension D: Int, features: [[Float]], classes: [[Int]]) {
        precondition(features.count == classes.count, "one class map per image")
        var sums = [Double](repeating: 0, count: K * D), counts = [Int](repeating: 0, count: K)
        for (f, c) in zip(features, classes) {
            let P = c.count
            precondition(f.count == D * P, "features [\(D), \(P)]")
            for (p, k) in c.enumerated() {
                precondition((0..<K).contains(k), "class \(k) of \(K)")
                counts[k] += 1
                for d in 0..<D { sums[k * D + d] += Double(f[d * P + p]) }
            }
        }
        self.init(classCount: K, dimension: D,
                  classMeans: (0..<(K * D)).map { counts[$0 / D] > 0 ? Float(sums[$0] / Double(counts[$0 / D])) : 0 },
                  patchCounts: counts)
    }

    /// From stored values, which the caller has checked (`init(tensors:classCount:file:)`).
    public init(classCount: Int, dimension: Int, classMeans: [Float], patchCounts: [Int]) {
        precondition(classMeans.count == classCount * dimension && patchCounts.count == classCount)
        self.classCount = classCount; self.dimension = dimension
        self.classMeans = classMeans; self.patchCounts = patchCounts
    }

    /// The reference a rectifier file holds, or nil when it holds none; a reference that is
    /// there but malformed (a shape that does not fit `classCount`, a value that is not finite,
    /// a count that is not a whole non-negative number, only one of the two tensors) is an error
    /// naming the file and the tensor.
    public init?(tensors: [String: Tensor], classCount K: Int, file: String) throws {
        let means = tensors[Self.meansTensor], counts = tensors[Self.countsTensor]
        guard means != nil || counts != nil else { return nil }
        guard let means, let counts else {
            throw RectifierFileError(file: file, problem: "holds \(means == nil ? Self.countsTensor : Self.meansTensor) "
                                     + "without \(means == nil ? Self.meansTensor : Self.countsTensor)")
        }
        guard means.rank == 2, means.shape[0] == K, means.shape[1] > 0 else {
            throw RectifierFileError(file: file, tensor: Self.meansTensor, problem: "shape \(means.shape), expected [\(K), D] (one mean per class)")
        }
        guard counts.shape == [K] else {
            throw RectifierFileError(file: file, tensor: Self.countsTensor, problem: "shape \(counts.shape), expected [\(K)]")
        }
        guard means.data.allSatisfy(\.isFinite) else {
            throw RectifierFileError(file: file, tensor: Self.meansTensor, problem: "holds a value that is not finite")
        }
        var whole: [Int] = []
        for x in counts.data {
            guard x.isFinite, x >= 0, x.rounded() == x, x < 1e15, let n = Int(exactly: x) else {
                throw RectifierFileError(file: file, tensor: Self.countsTensor, problem: "\(x) is not a whole number of patches")
            }
            whole.append(n)
        }
        self.init(classCount: K, dimension: means.shape[1], classMeans: means.data, patchCounts: whole)
    }

    /// The two tensors `init(tensors:classCount:file:)` reads.
    public var tensors: [String: Tensor] {
        [Self.meansTensor: Tensor(shape: [classCount, dimension], data: classMeans),
         Self.countsTensor: Tensor(shape: [classCount], data: patchCounts.map(Float.init))]
    }

    /// The hull's vertices: the means of the classes with at least `minimumPatches` patches.
    public var hullVertices: [[Double]] {
        (0..<classCount).filter { patchCounts[$0] >= Self.minimumPatches }.map { k in
            classMeans[(k * dimension)..<((k + 1) * dimension)].map(Double.init)
        }
    }
}
