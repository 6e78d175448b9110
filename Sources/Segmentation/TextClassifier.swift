import Foundation
import Math

/// The zero-shot text classifier T `[K, D]`: for each class, the 85 prompt templates
/// (`promptTemplates`) encoded, each L2-normalised, averaged, normalised again
/// (utils/prompt_engineering.py `zeroshot_classifier`).
public struct TextClassifier: Sendable {
    /// `[K, D]`, rows of unit length.
    public let weights: [Float]
    public let classCount: Int, embedDim: Int

    public init(weights: [Float], classCount: Int, embedDim: Int) {
        self.weights = weights; self.classCount = classCount; self.embedDim = embedDim
    }

    /// Builds the classifier from tokenised prompts: `prompts[k]` holds class k's token
    /// sequences (`[SOT, ..., EOT, 0...]`).
    public init(tower: TextTransformer, prompts: [[[Int]]]) {
        let D = tower.embedDim
        var w: [Float] = []
        for classPrompts in prompts {
            let e = tower.encode(tokens: classPrompts)
            let n = l2NormalizeForward(e, N: classPrompts.count, C: D).y
            var mean = [Float](repeating: 0, count: D)
            for i in 0..<classPrompts.count { for d in 0..<D { mean[d] += n[i * D + d] } }
            for d in 0..<D { mean[d] /= Float(classPrompts.count) }
            w += l2NormalizeForward(mean, N: 1, C: D).y
        }
        self.init(weights: w, classCount: prompts.count, embedDim: D)
    }
}

extension TextTransformer {
    /// CLIP's `encode_text`: embeddings of token sequences read at the end-of-text token (the
    /// arg-max id). The causal mask makes positions after the last end-of-text irrelevant, so the
    /// batch runs only up to it.
    public func encode(tokens: [[Int]]) -> [Float] {
        let eot = tokens.map { seq in seq.indices.max { seq[$0] < seq[$1] || (seq[$0] == seq[$1] && $0 > $1) }! }
        let T = (eot.max() ?? 0) + 1
        var x = [Float](); x.reserveCapacity(tokens.count * T * width)
        for seq in tokens { for t in 0..<T { x.append(contentsOf: embedding(of: t < seq.count ? seq[t] : 0)) } }
        return forward(embeddings: x, sequences: tokens.count, length: T, readAt: eot).output
    }
}
