import Foundation
import Math
import FileIO
import ModelFiles

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
    /// sequences (`[SOT, ..., EOT, 0...]`, as `CLIPTokenizer.tokenize` makes them).
    public init(model: CLIPModel, prompts: [[[Int32]]]) throws {
        let D = model.architecture.embedDim
        var w: [Float] = []
        for classPrompts in prompts {
            let e = try model.encodeText(tokens: classPrompts)
            let n = l2NormalizeForward(e.data, N: classPrompts.count, C: D).y
            var mean = [Float](repeating: 0, count: D)
            for i in 0..<classPrompts.count { for d in 0..<D { mean[d] += n[i * D + d] } }
            for d in 0..<D { mean[d] /= Float(classPrompts.count) }
            w += l2NormalizeForward(mean, N: 1, C: D).y
        }
        self.init(weights: w, classCount: prompts.count, embedDim: D)
    }

    /// The 85 templates filled with each class name, tokenised at the model's context length
    /// (77 for OpenAI's CLIP, 32 for the small world CLIP). A prompt longer than the context
    /// is cut, keeping end-of-text last, as `clip.tokenize(..., truncate=True)` does.
    public static func prompts(classes: [String], tokenizer: CLIPTokenizer, contextLength: Int = 77) throws -> [[[Int32]]] {
        try classes.map { name in
            try tokenizer.tokenize(promptTemplates.map { $0.replacingOccurrences(of: "{}", with: name) },
                                   contextLength: contextLength, truncate: true)
        }
    }

    /// The classifier of `model` for `classes`: the prompts tokenised at the model's context length.
    public init(model: CLIPModel, classes: [String], tokenizer: CLIPTokenizer) throws {
        try self.init(model: model, prompts: Self.prompts(classes: classes, tokenizer: tokenizer,
                                                          contextLength: model.architecture.contextLength))
    }
}
