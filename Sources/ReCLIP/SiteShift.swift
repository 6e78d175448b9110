import Foundation
import Math
import FileIO

/// The label-free test of how a site's images differ from a rectifier's training images: in
/// their pixels (a camera shift: exposure, white balance, blur, noise) or only in their scene
/// mix (docs/adaptation.md, "Session 18" and "Session 19").
///
/// Under a change of the class mix alone, a site's patches of class k look like the training
/// images', so the site's mean unit-length dense feature m is a convex mixture of the training
/// images' class means mu_k (`FeatureReference`): m = sum_k w_k mu_k, w on the simplex. A camera
/// shift moves the class-conditional features themselves and takes m off that hull. The
/// statistic is the distance from m to the hull (`ConvexHullDistance`); over `threshold` the
/// site is taken to be a camera shift.
///
/// What follows from it (`TrainingRun`'s `.shiftTest` adaptation of ReCLIP++): under a camera
/// shift the decoder's BatchNorm statistics are re-estimated on the site's images
/// (`DecoderStatistics`), which gained 4.6 to 9.3 points at dusk on validation worlds;
/// otherwise the rectifier is kept, since re-estimating there carries the site's class mix into
/// the statistics (7 points lost under the coast mix on validation).
///
/// A mean over few images sits further from the hull than the site's own mean by its sampling
/// noise alone, so the decision reads the jackknife of the squared distance
/// (`debiasedResidual`), which takes that upward bias out. Its threshold, 0.14, was chosen on
/// validation worlds for the bundled CLIP (D = 128), with the reference of its 1000 training
/// scenes: over the disjoint folders of a validation site world it misjudged 0 of 40 folders of
/// 20 images, 0 of 80 of 10 and 8 of 160 of 5 (the plain residual at its best threshold, 0.17:
/// 0, 0 and 20). Another CLIP needs its own (`reclip adapt --shift-threshold`).
///
/// ```swift
/// let s = SiteShift(reference: r.featureReference!, features: siteFeatures)
/// s.isCameraShift      // debiasedResidual > 0.14
/// ```
public struct SiteShift: Sendable, Equatable {
    /// The threshold chosen on validation worlds for the bundled CLIP (docs/adaptation.md, "Session 21").
    public static let defaultThreshold: Float = 0.14

    /// Distance from the site's mean feature to the hull of the reference's class means.
    public let residual: Double
    /// The same with the upward bias of a mean over few images taken out: the jackknife of the
    /// squared distance, sqrt(max(0, N r^2 - (N - 1) mean_i r_(-i)^2)) over the N images, where
    /// r_(-i) leaves image i out (r itself for one image).
    public let debiasedResidual: Double
    public let threshold: Float
    /// Site images the mean is over.
    public let images: Int
    /// Fewer site images than this and `summary` says the decision is uncertain: folders of 5
    /// images were misjudged 8 times in 160 on validation world 31 and 18 in 160 on test world 30;
    /// folders of 10, 0 in 80 and 1 in 80; of 20, none (docs/adaptation.md, "Session 21").
    public static let reliableImages = 10
    /// Whether the site is taken to be a camera shift: `debiasedResidual > threshold`.
    public var isCameraShift: Bool { debiasedResidual > Double(threshold) }

    /// Tests `features` (one [D, P] channel-major array of unit-length columns per site image)
    /// against `reference`; the reference needs at least one hull vertex, and D must be its.
    public init(reference: FeatureReference, features: [[Float]], threshold: Float = SiteShift.defaultThreshold) {
        // Each image's sums once; the site's are their pooling, and each leave-one-out mean the
        // site's sums less one image's.
        let each = features.map { ChannelSums([$0], channels: reference.dimension) }
        let site = ChannelSums(pooling: each, channels: reference.dimension)
        let vertices = reference.hullVertices
        precondition(!vertices.isEmpty && site.positions > 0, "a reference with a class and a site with a patch")
        residual = ConvexHullDistance(point: site.means, vertices: vertices).distance
        let N = features.count
        if N > 1 {
            var leftOut = 0.0
            for e in each where site.positions > e.positions {
                let n = Double(site.positions - e.positions)
                let mean = zip(site.sums, e.sums).map { ($0 - $1) / n }
                let r = ConvexHullDistance(point: mean, vertices: vertices).distance
                leftOut += r * r
            }
            debiasedResidual = max(0, Double(N) * residual * residual - Double(N - 1) * leftOut / Double(N)).squareRoot()
        } else {
            debiasedResidual = residual
        }
        self.threshold = threshold
        images = N
    }

    /// The test as an adapted rectifier file records it: the residual, the threshold and `summary`.
    public var record: [String: String] {
        ["shift_test_residual": String(format: "%.4f", residual), "shift_test_debiased_residual": String(format: "%.4f", debiasedResidual),
         "shift_test_threshold": "\(threshold)", Self.summaryKey: summary]
    }

    /// The metadata key of `summary`.
    public static let summaryKey = "shift_test"

    /// The summary a rectifier file's metadata records, when a shift test adapted it (control
    /// characters escaped: the file is input).
    public static func summary(recordedIn metadata: [String: String]) -> String? {
        metadata[summaryKey].map(terminalSafe)
    }

    /// One line for a person: what was measured and what was done.
    public var summary: String {
        String(format: "shift test on %d image(s): %.3f %@ %g, ", images, debiasedResidual, isCameraShift ? ">" : "<=", Double(threshold))
            + (isCameraShift ? "the pixels moved (a camera shift): decoder statistics re-estimated on the site"
                             : "only the scene mix moved: the rectifier is kept as it is")
            + (images < Self.reliableImages
                ? String(format: " (uncertain under %d images: about 1 folder of 5 in 9 is misjudged)", Self.reliableImages) : "")
    }
}

/// The statistics of ReCLIP++'s decoder input to its BatchNorm, y = conv5x5([f ; raw - bias]),
/// pooled over every pixel of a set of images: per class channel the mean and the unbiased
/// variance (PyTorch's running variance). Setting the decoder's running statistics to them is
/// AdaBN (Li et al. 2016): what a BatchNorm trained on the site would converge to, with no step
/// of the weights.
///
/// ```swift
/// let s = DecoderStatistics(preActivations: ys, channels: 12)   // [K * P] per image
/// let adapted = s.applied(to: rectifier)
/// ```
public struct DecoderStatistics: Sendable, Equatable {
    public let mean: [Float]
    public let variance: [Float]
    /// Pixels pooled.
    public let count: Int

    /// Pools `preActivations` (one [K, P] channel-major array per image, at least two pixels in all).
    public init(preActivations: [[Float]], channels K: Int) {
        let pooled = ChannelSums(preActivations, channels: K, squares: true)
        precondition(pooled.positions >= 2, "statistics need two pixels")
        mean = pooled.means.map(Float.init)
        variance = pooled.unbiasedVariances.map(Float.init)
        count = pooled.positions
    }

    /// `rectifier` with its decoder's running mean and variance set to these.
    public func applied(to rectifier: Rectifier) -> Rectifier {
        var r = rectifier
        r.decoder?.norm.runningMean = mean
        r.decoder?.norm.runningVar = variance
        return r
    }
}
