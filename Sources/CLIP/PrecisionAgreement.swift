import Math

/// How close dense features computed in one precision are to a reference (bf16 against fp32):
/// the share of patches whose arg-max class agrees, and the largest logit deviation, with
/// logits = 100 cos(feature, class embedding) (MaskCLIP's scale). NaN-strict: a patch with a
/// non-finite logit on either side disagrees, and makes the deviation infinite.
///
/// ```swift
/// let a = PrecisionAgreement(reference: fp32.features, candidate: bf16.features, classifier: t)
/// print(a)   // "784 patches, 99.87 % arg-max agreement, largest logit deviation 0.041"
/// ```
public struct PrecisionAgreement: Sendable, CustomStringConvertible {
    /// Patches compared, and those whose arg-max class is the same on both sides.
    public let patches: Int
    public let agreeing: Int
    /// Largest |logit(candidate) - logit(reference)| over patches and classes.
    public let largestLogitDeviation: Double

    /// Compares `candidate` with `reference` (both [h, w, D], or any [P, D]) under `classifier`
    /// (its rows need not be normalised: they are, here).
    public init(reference: Tensor, candidate: Tensor, classifier: TextClassifier) {
        precondition(reference.shape == candidate.shape, "shapes \(reference.shape) and \(candidate.shape) differ")
        let d = classifier.embedDim, k = classifier.classCount
        precondition(reference.count % d == 0, "features of \(reference.count) values are not rows of \(d)")
        let p = reference.count / d
        let t = l2NormalizeForward(classifier.weights, N: k, C: d).y
        func logits(_ f: Tensor) -> [Float] {
            matrixProduct(l2NormalizeForward(f.data, N: p, C: d).y, t, M: p, K: d, N: k, transposeB: true).map { 100 * $0 }
        }
        let a = logits(reference), b = logits(candidate)
        var agreeing = 0, worst = 0.0
        for patch in 0..<p {
            let ra = a[(patch * k)..<((patch + 1) * k)], rb = b[(patch * k)..<((patch + 1) * k)]
            guard ra.allSatisfy(\.isFinite), rb.allSatisfy(\.isFinite) else {
                worst = .infinity
                continue
            }
            for (x, y) in zip(ra, rb) { worst = max(worst, Double(abs(x - y))) }
            if ra.indices.max(by: { ra[$0] < ra[$1] }) == rb.indices.max(by: { rb[$0] < rb[$1] }) { agreeing += 1 }
        }
        patches = p
        self.agreeing = agreeing
        largestLogitDeviation = worst
    }

    /// agreeing / patches.
    public var fraction: Double { patches == 0 ? 1 : Double(agreeing) / Double(patches) }

    public var description: String {
        String(format: "%d patches, %.2f %% arg-max agreement, largest logit deviation %.3f (logits 100 cos)",
               patches, 100 * fraction, largestLogitDeviation)
    }
}
