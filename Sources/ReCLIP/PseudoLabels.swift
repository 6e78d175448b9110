import Math
import FileIO
import ModelFiles
import CLIP
/// Where a training image's image-level pseudo labels come from.
public enum PseudoLabelSource: String, CaseIterable, Sendable {
    /// The global embedding's logits: threshold, else top K (ReCLIP, the authors' rule).
    case global
    /// The sliding-crop vote of the crops' global embeddings (ReCLIP++, the authors' rule).
    case cropVote = "crop-vote"
    /// The raw dense arg-max: the classes it gives a share of the training crop's patches
    /// (ours: on the small CLIP of the scene world, whose global embedding ranks presence
    /// poorly, the dense arg-max ranks it far better; docs/world.md, "Session 15: pseudo labels
    /// from the dense arg-max").
    case denseShare = "dense-share"
}

/// Image-level pseudo labels for unsupervised training (the authors' tools/pseudo_class.py,
/// and the dense-share rule).
public enum PseudoLabels {
    /// ReCLIP: classes whose global logit (logit_scale.exp() * cos(image, t_k)) reaches
    /// `threshold` (23 for VOC), in class order; if none does, the `topK` best (descending).
    public static func thresholdOrTopK(_ logits: [Float], threshold: Float = 23, topK: Int = 2) -> [Int] {
        let over = logits.indices.filter { logits[$0] >= threshold }
        if !over.isEmpty { return over }
        return Array(logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(topK))
    }

    /// ReCLIP++: square windows of side `window` every `step` pixels
    /// (`range(0, height - window, step)` by `range(0, width - window, step)`, as the authors
    /// iterate: the last partial window is skipped), as `(x, y)` top-left corners.
    public static func cropOrigins(width: Int, height: Int, window: Int, step: Int) -> [(x: Int, y: Int)] {
        guard height > window, width > window, step > 0 else { return [] }
        var out: [(Int, Int)] = []
        for y in stride(from: 0, to: height - window, by: step) {
            for x in stride(from: 0, to: width - window, by: step) { out.append((x, y)) }
        }
        return out
    }

    /// ReCLIP++ vote: each crop's top-1 class counts once; every class with at least
    /// `minimumVotes` votes is kept (the authors: 1, any vote), in order of first appearance.
    /// `cropLogits[i]` holds crop i's K logits. When no class reaches `minimumVotes`, the
    /// most voted one is kept, so that an image always has a label.
    public static func slidingCropVote(_ cropLogits: [[Float]], minimumVotes: Int = 1) -> [Int] {
        var seen: [Int] = []
        var votes: [Int: Int] = [:]
        for l in cropLogits {
            guard let best = l.indices.max(by: { l[$0] < l[$1] || (l[$0] == l[$1] && $0 > $1) }) else { continue }
            if !seen.contains(best) { seen.append(best) }
            votes[best, default: 0] += 1
        }
        let kept = seen.filter { votes[$0, default: 0] >= minimumVotes }
        if kept.isEmpty, let top = seen.max(by: { votes[$0, default: 0] < votes[$1, default: 0] }) { return [top] }
        return kept
    }

    /// Dense share: the classes that raw dense logits' arg-max (first maximum on ties) gives at
    /// least `minimumShare` of the `P` patches, in class order; when none does, the most
    /// covered class, so that an image always has a label. `logits` is `K x P`, class-major.
    public static func denseShare(_ logits: [Float], classes K: Int, minimumShare: Float) -> [Int] {
        precondition(K > 0 && logits.count % K == 0 && !logits.isEmpty)
        let P = logits.count / K
        var counts = [Int](repeating: 0, count: K)
        for p in 0..<P {
            var best = 0, value = logits[p]
            for k in 1..<K where logits[k * P + p] > value { best = k; value = logits[k * P + p] }
            counts[best] += 1
        }
        let kept = counts.indices.filter { Float(counts[$0]) >= minimumShare * Float(P) }
        if !kept.isEmpty { return kept }
        return [counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!]
    }
}
