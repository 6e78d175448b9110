import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// The shape of a small CLIP trained from scratch on the scene world: a ViT image tower and
/// a causal text transformer over CLIP's BPE vocabulary, joined in an `embedDim` space.
///
/// The default follows OpenAI's conventions (heads = width / 64) so that a loader reading
/// the architecture off the tensor shapes, as OpenAI's `build_model` does, rebuilds it.
///
/// ```swift
/// let config = MiniCLIPConfig.default          // 96 px, patch 8, width 128, 4 + 4 layers
/// let names = config.parameterLayout.map(\.name)  // "visual.conv1.weight", ...
/// ```
public struct MiniCLIPConfig: Sendable, Equatable, Codable {
    public var imageSize = 96
    public var patchSize = 8
    public var visionWidth = 128
    public var visionLayers = 4
    public var visionHeads = 2
    public var textWidth = 128
    public var textLayers = 4
    public var textHeads = 2
    public var contextLength = 32
    public var vocabularySize = 49408
    public var embedDim = 128
    /// How the image tower turns its tokens into the global embedding (nil: the class token,
    /// as in OpenAI's CLIP; stored checkpoints from before this setting decode as nil).
    public var pooling: ImagePooling?

    public init() {}

    /// The pooling in effect.
    public var imagePooling: ImagePooling { pooling ?? .classToken }

    /// The default small CLIP for the scene world.
    public static let `default` = MiniCLIPConfig()

    /// Patches per side.
    public var grid: Int { imageSize / patchSize }
    /// Image tokens: the class token and one per patch.
    public var imageTokens: Int { grid * grid + 1 }

    /// Every parameter tensor in OpenAI's state-dict names and shapes, in a fixed order.
    public var parameterLayout: [(name: String, shape: [Int])] {
        func blocks(_ prefix: String, width w: Int, layers: Int) -> [(name: String, shape: [Int])] {
            (0..<layers).flatMap { i -> [(name: String, shape: [Int])] in
                let p = "\(prefix)transformer.resblocks.\(i)."
                return [
                    (p + "ln_1.weight", [w]), (p + "ln_1.bias", [w]),
                    (p + "attn.in_proj_weight", [3 * w, w]), (p + "attn.in_proj_bias", [3 * w]),
                    (p + "attn.out_proj.weight", [w, w]), (p + "attn.out_proj.bias", [w]),
                    (p + "ln_2.weight", [w]), (p + "ln_2.bias", [w]),
                    (p + "mlp.c_fc.weight", [4 * w, w]), (p + "mlp.c_fc.bias", [4 * w]),
                    (p + "mlp.c_proj.weight", [w, 4 * w]), (p + "mlp.c_proj.bias", [w]),
                ]
            }
        }
        var layout: [(name: String, shape: [Int])] = [
            ("visual.class_embedding", [visionWidth]),
            ("visual.positional_embedding", [imageTokens, visionWidth]),
            ("visual.conv1.weight", [visionWidth, 3, patchSize, patchSize]),
            ("visual.ln_pre.weight", [visionWidth]), ("visual.ln_pre.bias", [visionWidth]),
        ]
        layout += blocks("visual.", width: visionWidth, layers: visionLayers)
        layout += [
            ("visual.ln_post.weight", [visionWidth]), ("visual.ln_post.bias", [visionWidth]),
            ("visual.proj", [visionWidth, embedDim]),
            ("token_embedding.weight", [vocabularySize, textWidth]),
            ("positional_embedding", [contextLength, textWidth]),
        ]
        layout += blocks("", width: textWidth, layers: textLayers)
        layout += [
            ("ln_final.weight", [textWidth]), ("ln_final.bias", [textWidth]),
            ("text_projection", [textWidth, embedDim]),
            ("logit_scale", []),
        ]
        return layout
    }
}
