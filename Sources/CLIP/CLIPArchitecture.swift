import Math
import FileIO
import ModelFiles
/// The activation inside the transformer MLPs.
public enum Activation: String, Sendable, CaseIterable {
    /// x * sigmoid(1.702 x), used by OpenAI's CLIP weights.
    case quickGELU = "quick_gelu"
    /// Exact GELU, 0.5 x (1 + erf(x / √2)).
    case gelu = "gelu"
}

/// How a ViT CLIP turns its last tokens into the global image embedding.
///
/// OpenAI's CLIP reads the class token; open_clip's `pool_type='avg'` averages the patch
/// tokens after `ln_post` (the class token still takes part in attention). With the mean,
/// the global embedding is the average of the full forward's patch embeddings, so every
/// patch's output lives in the space the contrastive loss aligns with text.
public enum ImagePooling: String, Sendable, Codable, CaseIterable {
    /// `ln_post(x[0]) @ proj`.
    case classToken = "cls"
    /// `mean_p(ln_post(x[1 + p])) @ proj`.
    case patchMean = "avg"
}

/// The sizes of a ViT CLIP model, as read off a checkpoint's tensor shapes.
///
/// ```swift
/// let b16 = CLIPArchitecture.vitB16
/// b16.visionGrid          // 14 patches per side at 224 px
/// ```
public struct CLIPArchitecture: Sendable, Equatable {
    /// Joint embedding size D.
    public var embedDim: Int
    /// Vision transformer width.
    public var visionWidth: Int
    /// Vision transformer blocks.
    public var visionLayers: Int
    /// Vision attention heads.
    public var visionHeads: Int
    /// Patch size in pixels.
    public var patchSize: Int
    /// Patches per side of the native positional-embedding grid.
    public var visionGrid: Int
    /// Text transformer width.
    public var textWidth: Int
    /// Text transformer blocks.
    public var textLayers: Int
    /// Text attention heads.
    public var textHeads: Int
    /// Maximum number of tokens.
    public var contextLength: Int
    /// Token vocabulary size.
    public var vocabularySize: Int
    /// MLP activation of both towers.
    public var activation: Activation
    /// LayerNorm epsilon everywhere (CLIP: 1e-5).
    public var layerNormEps: Float
    /// How the global image embedding is read off the last tokens (CLIP: the class token).
    public var pooling: ImagePooling = .classToken

    public init(embedDim: Int, visionWidth: Int, visionLayers: Int, visionHeads: Int, patchSize: Int,
                visionGrid: Int, textWidth: Int, textLayers: Int, textHeads: Int, contextLength: Int,
                vocabularySize: Int, activation: Activation = .quickGELU, layerNormEps: Float = 1e-5) {
        self.embedDim = embedDim
        self.visionWidth = visionWidth
        self.visionLayers = visionLayers
        self.visionHeads = visionHeads
        self.patchSize = patchSize
        self.visionGrid = visionGrid
        self.textWidth = textWidth
        self.textLayers = textLayers
        self.textHeads = textHeads
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.activation = activation
        self.layerNormEps = layerNormEps
    }

    /// Native input resolution in pixels (patch size times grid).
    public var imageResolution: Int { patchSize * visionGrid }

    /// OpenAI's ViT-B/16.
    public static let vitB16 = CLIPArchitecture(
        embedDim: 512, visionWidth: 768, visionLayers: 12, visionHeads: 12, patchSize: 16,
        visionGrid: 14, textWidth: 512, textLayers: 12, textHeads: 8, contextLength: 77,
        vocabularySize: 49408)
}

extension CLIPArchitecture {
    /// Transformer widths and the joint embedding size a checkpoint may declare. Loading refuses
    /// sizes outside these ranges before any buffer is allocated (ViT-bigG, the largest CLIP,
    /// is 1664 wide with MLPs of 8192 and 48 blocks).
    public static let widthRange = 1...8192
    /// MLP hidden widths (4 x the width in CLIP).
    public static let hiddenWidthRange = 1...32768
    /// Transformer blocks per tower.
    public static let layerRange = 1...96
    /// Patch sizes in pixels.
    public static let patchSizeRange = 1...512
    /// Patches per side of the native positional-embedding grid.
    public static let gridRange = 1...256
    /// Text context lengths in tokens.
    public static let contextRange = 1...1024
    /// Token vocabulary sizes.
    public static let vocabularyRange = 1...(1 << 20)
}
