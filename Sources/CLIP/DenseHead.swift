import Foundation
import Math

/// A training-free dense head: how CLIP's last ViT block is turned into per-patch features.
/// Each changes only the last block (and how the image reaches the grid); blocks 0..L-2 are
/// CLIP's own. The semantics follow each repository's code at the commits in docs/engine.md.
///
/// | head | last block | residual + MLP | grid | positional resize |
/// |---|---|---|---|---|
/// | maskclip (ReCLIP's base) | o = out_proj(v) | kept | padded right/bottom | to the grid size |
/// | sclip | softmax(q qᵀ s) + softmax(k kᵀ s) | kept | floor (remainder dropped) | scale factor (g + 0.1) / g0 |
/// | clearclip | softmax(q qᵀ s) | removed | floor | scale factor |
/// | naclip | softmax(k kᵀ s + Ω), Gaussian Ω, σ = 5 patches | removed | floor | scale factor |
///
/// ```swift
/// let f = model.denseFeatures(input, head: .sclip)            // [gh, gw, D]
/// let all = model.denseFeatures(input, heads: DenseHead.allCases)  // blocks 0..L-2 run once
/// ```
public enum DenseHead: String, Sendable, CaseIterable {
    case maskclip, sclip, clearclip, naclip

    /// The method's name as its paper writes it.
    public var displayName: String {
        switch self {
        case .maskclip: return "MaskCLIP"
        case .sclip: return "SCLIP"
        case .clearclip: return "ClearCLIP"
        case .naclip: return "NACLIP"
        }
    }

    /// What the head changes in the last block, for the protocol panel.
    public var protocolSummary: String {
        switch self {
        case .maskclip: return "MaskCLIP (value path of the last block)"
        case .sclip: return "SCLIP (q-q + k-k attention in the last block, residual and MLP kept)"
        case .clearclip: return "ClearCLIP (q-q attention in the last block, no residual, no MLP)"
        case .naclip: return "NACLIP (k-k attention + Gaussian neighbourhood, no residual, no MLP)"
        }
    }

    /// The templates its paper's text classifier averages: ReCLIP's 85 for MaskCLIP (as ReCLIP
    /// uses it), OpenAI's 80 ImageNet templates for the others.
    public var defaultTemplates: PromptTemplateSet { self == .maskclip ? .reclip85 : .imagenet80 }

    /// The factor on cosine logits before a softmax over classes (probability thresholds,
    /// presence detection): SCLIP 40 (`clip_segmentor.py`; its VOC21, Context60 and
    /// COCO-Object configs raise it to 65 / 50 / 50), ClearCLIP 50, NACLIP 40; MaskCLIP 100
    /// (CLIP's own exp(logit_scale) and ReCLIP's test). The arg-max does not depend on it.
    public var logitScale: Float {
        switch self {
        case .maskclip: return 100
        case .sclip, .naclip: return 40
        case .clearclip: return 50
        }
    }

    /// Whether the image is zero-padded right/bottom to a multiple of the patch size (MaskCLIP)
    /// rather than cut to it (the three repositories' stride-p `conv1` drops the remainder).
    public var padsToPatchMultiple: Bool { self == .maskclip }

    /// Whether a sliding-window crop is zero-padded, centred, to a multiple of the patch size
    /// before the head runs (ClearCLIP's `forward_slide`); SCLIP and NACLIP use the crop as is.
    public var padsWindowCrops: Bool { self == .clearclip }

    /// NACLIP's Gaussian σ in patches (`gaussian_std`).
    public static let naclipSigma: Float = 5

    var lastBlock: LastBlockVariant {
        switch self {
        case .maskclip: return .valuePath
        case .sclip: return .sclip
        case .clearclip: return .queryQuery
        case .naclip: return .naclip(sigma: Self.naclipSigma)
        }
    }
}

/// Dense features of several heads for one image, blocks 0..L-2 run once per grid rule.
public struct MultiHeadFeatures: Sendable {
    /// Each head's features (and, when asked for, its positional embeddings).
    public let features: [DenseHead: DenseFeatures]
    /// Wall seconds each head would take alone: the shared trunk plus its own last block,
    /// ln_post and projection.
    public let seconds: [DenseHead: Double]

    /// The features of `head` (one of those asked for).
    public subscript(head: DenseHead) -> DenseFeatures { features[head]! }
}

/// What the last block saw and produced, for comparing with the reference repositories.
struct HeadTrace {
    /// The input of the last block [L, C], class token first.
    var lastBlockInput: [Float]
    /// What goes into ln_post [L, C].
    var lastBlockOutput: [Float]
    /// The patch positional embeddings the trunk added [C, gh, gw].
    var positional: Tensor
    /// NACLIP's Ω [L, L], when the head uses it.
    var addition: [Float]?
}

extension CLIPModel {
    /// Dense features of `head` for a normalised image [3, H, W]: `features` [gh, gw, D] after
    /// ln_post and the projection, not normalised. MaskCLIP is `denseFeatures(_:)`; the others
    /// cut the image to whole patches and resize the positional embeddings by scale factor
    /// (`headPositionalEmbedding`). The image must hold at least one whole patch.
    public func denseFeatures(_ image: Tensor, head: DenseHead, includePositionalEmbedding: Bool = false) -> DenseFeatures {
        if head == .maskclip { return denseFeatures(image, includePositionalEmbedding: includePositionalEmbedding) }
        return denseFeatures(image, heads: [head], includePositionalEmbedding: includePositionalEmbedding)[head]
    }

    /// Dense features of several heads for one image. Heads that reach the last block the same
    /// way share blocks 0..L-2: SCLIP, ClearCLIP and NACLIP always, and MaskCLIP with them
    /// when the image is a whole number of patches on the native grid (the two grid rules then
    /// agree).
    public func denseFeatures(_ image: Tensor, heads: [DenseHead], includePositionalEmbedding: Bool = false) -> MultiHeadFeatures {
        let (features, seconds, _) = headFeatures(image, variants: heads.map { ($0, $0.lastBlock) },
                                                  includePositionalEmbedding: includePositionalEmbedding, trace: false)
        return MultiHeadFeatures(features: features, seconds: seconds)
    }

    /// The patch grid a head uses for an image [3, H, W]: ceil(H/p) x ceil(W/p) for MaskCLIP,
    /// floor(H/p) x floor(W/p) for the others.
    public func patchGrid(_ image: Tensor, head: DenseHead) -> (height: Int, width: Int) {
        precondition(image.rank == 3 && image.shape[0] == 3, "image must be [3, H, W], got \(image.shape)")
        let p = architecture.patchSize
        if head.padsToPatchMultiple { return ((image.shape[1] + p - 1) / p, (image.shape[2] + p - 1) / p) }
        return (image.shape[1] / p, image.shape[2] / p)
    }

    /// The patch positional embeddings [C, gh, gw] as SCLIP, ClearCLIP and NACLIP make them
    /// (`interpolate_pos_encoding`): the stored ones, unchanged and laid row-major, when the
    /// token count is the native one (as the repositories do, even for a non-square grid of
    /// the same count, e.g. 8x2 for a 4x4 model); otherwise bicubic by scale factor
    /// ((gh + 0.1) / g0, (gw + 0.1) / g0), which samples at a step of g0 / (g + 0.1), not g0 / g.
    public func headPositionalEmbedding(gridHeight gh: Int, gridWidth gw: Int) -> Tensor {
        let g = architecture.visionGrid
        let native = patchPositionalEmbedding(gridHeight: g, gridWidth: g)
        if gh * gw == g * g { return Tensor(shape: [architecture.visionWidth, gh, gw], data: native.data) }
        let c = architecture.visionWidth
        var resized = [Float](repeating: 0, count: c * gh * gw)
        let size = native.data.withUnsafeBufferPointer { src in
            bicubicResizeForward(out: &resized, inp: src.baseAddress!, channels: c, inHeight: g, inWidth: g,
                                 scaleFactor: ((Double(gh) + 0.1) / Double(g), (Double(gw) + 0.1) / Double(g)))
        }
        precondition(size == (gh, gw), "scale-factor resize gave \(size), expected \(gh)x\(gw)")
        return Tensor(shape: [c, gh, gw], data: resized)
    }

    /// The image cut to whole patches (bottom rows and right columns of the remainder dropped).
    func croppedToPatches(_ image: Tensor) -> Tensor {
        let p = architecture.patchSize
        let (H, W) = (image.shape[1], image.shape[2])
        let (h, w) = (H / p * p, W / p * p)
        precondition(h > 0 && w > 0, "a \(H)x\(W) image holds no whole \(p)-pixel patch")
        if h == H && w == W { return image }
        var out = [Float](repeating: 0, count: 3 * h * w)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w { out[(c * h + y) * w + x] = image.data[(c * H + y) * W + x] }
            }
        }
        return Tensor(shape: [3, h, w], data: out)
    }

    /// The heads' features, with per-head seconds and (when `trace`) what each last block saw.
    func headFeatures(_ image: Tensor, variants: [(head: DenseHead, block: LastBlockVariant)],
                      includePositionalEmbedding: Bool, trace: Bool)
        -> (features: [DenseHead: DenseFeatures], seconds: [DenseHead: Double], traces: [DenseHead: HeadTrace]) {
        let arch = architecture
        let (c, p, g) = (arch.visionWidth, arch.patchSize, arch.visionGrid)
        // MaskCLIP shares the repositories' trunk when both grid rules give the native grid.
        let whole = image.shape[1] % p == 0 && image.shape[2] % p == 0
        let nativeGrid = image.shape[1] / p == g && image.shape[2] / p == g
        let shareAll = whole && nativeGrid
        var groups: [(padded: Bool, members: [(head: DenseHead, block: LastBlockVariant)])] = []
        for v in variants {
            let padded = v.head.padsToPatchMultiple && !shareAll
            if let i = groups.firstIndex(where: { $0.padded == padded }) { groups[i].members.append(v) } else {
                groups.append((padded, [v]))
            }
        }
        var features: [DenseHead: DenseFeatures] = [:]
        var seconds: [DenseHead: Double] = [:]
        var traces: [DenseHead: HeadTrace] = [:]
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        for group in groups {
            let start = now()
            let input = group.padded ? image : croppedToPatches(image)
            let (gh, gw) = patchGrid(input, head: group.padded ? .maskclip : .sclip)
            let positional = group.padded ? patchPositionalEmbedding(gridHeight: gh, gridWidth: gw)
                                          : headPositionalEmbedding(gridHeight: gh, gridWidth: gw)
            let rows = 1 + gh * gw
            let workspace = makeVisionWorkspace(tokens: rows)
            let (trunk, _, _) = visionTrunk(input, blocks: vision.blocks.count - 1, workspace: workspace,
                                            patchPositional: positional.data)
            let trunkSeconds = Double(now() - start) / 1e9
            for member in group.members {
                let headStart = now()
                var x = trunk
                var addition: [Float]?
                if case .naclip(let sigma) = member.block {
                    addition = naclipAttentionAddition(gridHeight: gh, gridWidth: gw, sigma: sigma)
                }
                var out = [Float](repeating: 0, count: gh * gw * arch.embedDim)
                var classToken = [Float](repeating: 0, count: arch.embedDim)
                x.withUnsafeMutableBufferPointer { xb in
                    let xp = xb.baseAddress!
                    vision.blocks.last?.headForward(x: xp, rows: rows, heads: arch.visionHeads, variant: member.block,
                                                    addition: addition, activation: arch.activation,
                                                    eps: arch.layerNormEps, workspace: workspace)
                    if trace {
                        traces[member.head] = HeadTrace(lastBlockInput: trunk, lastBlockOutput: Array(xb),
                                                        positional: positional, addition: addition)
                    }
                    vision.lnPost.forward(out: xp, inp: xp, rows: rows, eps: arch.layerNormEps)
                    out.withUnsafeMutableBufferPointer { o in
                        vision.projection.forward(out: o.baseAddress!, inp: xp + c, rows: gh * gw)
                    }
                    classToken.withUnsafeMutableBufferPointer { o in vision.projection.forward(out: o.baseAddress!, inp: xp, rows: 1) }
                }
                var dense = DenseFeatures(features: Tensor(shape: [gh, gw, arch.embedDim], data: out),
                                          positionalEmbedding: includePositionalEmbedding ? positional : nil)
                dense.classToken = Tensor(shape: [arch.embedDim], data: classToken)
                features[member.head] = dense
                seconds[member.head] = trunkSeconds + Double(now() - headStart) / 1e9
            }
        }
        return (features, seconds, traces)
    }
}
