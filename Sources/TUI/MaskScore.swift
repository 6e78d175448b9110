/// Mean intersection over union of a predicted mask against ground truth.
///
/// IoU_k = |pred = k and truth = k| / |pred = k or truth = k| over pixels whose truth is not
/// `LabelMap.ignore`; the mean runs over classes that occur in the prediction or the truth
/// (classes absent from both are left out, as in the usual VOC protocol per image).
///
/// ```swift
/// let truth = LabelMap(width: 2, height: 1, labels: [0, 1])
/// MaskScore.meanIoU(prediction: [0, 0], truth: truth, classes: 2)   // (1/2 + 0) / 2 = 0.25
/// ```
public enum MaskScore {
    /// The mean IoU, or `nil` when no pixel counts.
    public static func meanIoU(prediction: [Int32], truth: LabelMap, classes: Int) -> Double? {
        precondition(prediction.count == truth.labels.count, "prediction and truth differ in size")
        guard classes > 0 else { return nil }
        var intersection = [Int](repeating: 0, count: classes)
        var union = [Int](repeating: 0, count: classes)
        for i in 0..<prediction.count {
            let t = truth.labels[i]
            guard t != LabelMap.ignore, t >= 0, Int(t) < classes else { continue }
            let p = prediction[i]
            if p == t {
                intersection[Int(t)] += 1
                union[Int(t)] += 1
            } else {
                union[Int(t)] += 1
                if p >= 0 && Int(p) < classes { union[Int(p)] += 1 }
            }
        }
        let present = (0..<classes).filter { union[$0] > 0 }
        guard !present.isEmpty else { return nil }
        return present.reduce(0.0) { $0 + Double(intersection[$1]) / Double(union[$1]) } / Double(present.count)
    }
}
