import Foundation
import Math
import FileIO
import ModelFiles

/// The zero-shot text classifier T `[K, D]`: for each class, the prompt templates (ReCLIP's 85,
/// `promptTemplates`, or OpenAI's 80, `PromptTemplateSet`) encoded, each L2-normalised,
/// averaged, normalised again (utils/prompt_engineering.py `zeroshot_classifier`; SCLIP,
/// ClearCLIP and NACLIP build theirs the same way).
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

    /// The templates (ReCLIP's 85 unless told) filled with each class name, tokenised at the
    /// model's context length (77 for OpenAI's CLIP, 32 for the small world CLIP). A prompt
    /// longer than the context is cut, keeping end-of-text last, as
    /// `clip.tokenize(..., truncate=True)` does.
    public static func prompts(classes: [String], tokenizer: CLIPTokenizer, contextLength: Int = 77,
                               templates: PromptTemplateSet = .reclip85) throws -> [[[Int32]]] {
        let list = templates.templates
        return try classes.map { name in
            try tokenizer.tokenize(list.map { $0.replacingOccurrences(of: "{}", with: name) },
                                   contextLength: contextLength, truncate: true)
        }
    }

    /// The classifier of `model` for `classes`: the prompts of `templates` tokenised at the
    /// model's context length.
    public init(model: CLIPModel, classes: [String], tokenizer: CLIPTokenizer,
                templates: PromptTemplateSet = .reclip85) throws {
        try self.init(model: model, prompts: Self.prompts(classes: classes, tokenizer: tokenizer,
                                                          contextLength: model.architecture.contextLength,
                                                          templates: templates))
    }
}
