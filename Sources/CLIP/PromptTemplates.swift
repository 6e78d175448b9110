import Math
import FileIO
import ModelFiles
/// The 85 prompt templates of the authors' utils/prompt_engineering.py, in order; `{}` is
/// replaced by the class name. Every class's text classifier averages their embeddings.
public let promptTemplates: [String] = [
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a sculpture of a {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "graffiti of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a tattoo of a {}.",
    "the embroidered {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "the plastic {}.",
    "a photo of the cool {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a sculpture of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a plastic {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "itap of the {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a plushie {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "the plushie {}.",
    "a dark photo of a {}.",
    "itap of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "itap of my {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
    "a tattoo of the {}.",
    "there is a {} in the scene.",
    "there is the {} in the scene.",
    "this is a {} in the scene.",
    "this is the {} in the scene.",
    "this is one {} in the scene.",
]

/// A list of prompt templates a text classifier averages over.
///
/// ```swift
/// let c = try TextClassifier(model: m, classes: ["cat"], tokenizer: t, templates: .imagenet80)
/// ```
public enum PromptTemplateSet: String, Sendable, CaseIterable {
    /// ReCLIP's 85 (utils/prompt_engineering.py): OpenAI's 80 and five "... in the scene." ones.
    case reclip85
    /// OpenAI's 80 ImageNet templates (CLIP's notebook; `openai_imagenet_template` in SCLIP's,
    /// ClearCLIP's and NACLIP's `prompts/imagenet_template.py`), which SCLIP, ClearCLIP and
    /// NACLIP average over.
    case imagenet80

    /// The templates, in order; `{}` is replaced by the class name.
    public var templates: [String] {
        switch self {
        case .reclip85: return promptTemplates
        // ReCLIP's list is OpenAI's 80, in the same order, followed by its five scene templates.
        case .imagenet80: return Array(promptTemplates.prefix(80))
        }
    }

    /// The set as a person reads it in the protocol panel and messages.
    public var summary: String {
        switch self {
        case .reclip85: return "ReCLIP's 85"
        case .imagenet80: return "OpenAI's 80 ImageNet"
        }
    }
}
