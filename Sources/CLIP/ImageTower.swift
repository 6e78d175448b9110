import Math
import FileIO
import ModelFiles

/// Dense features of one image on the patch grid (MaskCLIP's, or another `DenseHead`'s).
public struct DenseFeatures: Sendable {
    /// Per-patch features [h, w, D] after ln_post and the visual projection, not normalised.
    public let features: Tensor
    /// The patch positional embeddings resized to the grid, [width, h, w], when requested
    /// (ReCLIP's space-preference bias is computed from them).
    public let positionalEmbedding: Tensor?
    /// The class token's feature [D] after the same last block, ln_post and the projection, not
    /// normalised (SegEarth-OV's `cls_token`, for subtracting global logits from every patch).
    public var classToken: Tensor? = nil

    /// Grid rows h.
    public var gridHeight: Int { features.shape[0] }
    /// Grid columns w.
    public var gridWidth: Int { features.shape[1] }
}

extension CLIPModel {
    /// The global image embedding [D] (not normalised) of a normalised image [3, H, W]:
    /// patch + class tokens, positional embedding (resized if the grid is not the native one),
    /// ln_pre, all blocks, ln_post on the class token, visual projection. The last block is
    /// computed for the class token only (the only row read out).
    ///
    /// With `ImagePooling.patchMean` the last block runs for every token and the embedding is
    /// the mean of the patch tokens after ln_post, projected.
    public func encodeImage(_ image: Tensor) -> Tensor {
        let arch = architecture
        let tokens = visionTokens(image)
        let workspace = makeVisionWorkspace(tokens: tokens)
        if arch.pooling == .patchMean { return patchMeanEmbedding(image, workspace: workspace) }
        var (x, _, _) = visionTrunk(image, blocks: vision.blocks.count - 1, workspace: workspace)
        var out = [Float](repeating: 0, count: architecture.embedDim)
        x.withUnsafeMutableBufferPointer { xb in
            // Only the class token is read out, so the last block runs for it alone.
            vision.blocks.last?.firstRowForward(x: xb.baseAddress!, tokens: tokens, heads: arch.visionHeads,
                                                activation: arch.activation, eps: arch.layerNormEps,
                                                workspace: workspace)
            vision.lnPost.forward(out: xb.baseAddress!, inp: xb.baseAddress!, rows: 1, eps: architecture.layerNormEps)
            out.withUnsafeMutableBufferPointer { o in
                vision.projection.forward(out: o.baseAddress!, inp: xb.baseAddress!, rows: 1)
            }
        }
        return Tensor(shape: [architecture.embedDim], data: out)
    }

    /// The patch-mean global embedding [D]: all blocks over every token, ln_post on the patch
    /// rows, their mean, the visual projection.
    private func patchMeanEmbedding(_ image: Tensor, workspace: TransformerWorkspace) -> Tensor {
        let arch = architecture
        let c = arch.visionWidth
        var (x, gh, gw) = visionTrunk(image, blocks: vision.blocks.count, workspace: workspace)
        let n = gh * gw
        var mean = [Float](repeating: 0, count: c)
        var out = [Float](repeating: 0, count: arch.embedDim)
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            vision.lnPost.forward(out: xp + c, inp: xp + c, rows: n, eps: arch.layerNormEps)
            for p in 0..<n { for ch in 0..<c { mean[ch] += xp[(1 + p) * c + ch] } }
        }
        for ch in 0..<c { mean[ch] /= Float(n) }
        mean.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in vision.projection.forward(out: o.baseAddress!, inp: m.baseAddress!, rows: 1) }
        }
        return Tensor(shape: [arch.embedDim], data: out)
    }

    /// MaskCLIP dense features of a normalised image [3, H, W] of any size.
    ///
    /// The image is zero-padded right/bottom to a multiple of the patch size; the patch
    /// positional embeddings are resized bicubically to the grid (the class token's is kept);
    /// blocks 1...L-1 run as usual; the last block runs its value path only
    /// (v = ln_1(x) W_vᵀ + b_v; x = x + out_proj(v); x = x + mlp(ln_2(x))); then ln_post and
    /// the visual projection for every patch token. The class token is dropped.
    ///
    /// With `profile`, the forward's operations are timed and counted into it
    /// (`ForwardProfile`); the features are the same, bit for bit.
    public func denseFeatures(_ image: Tensor, includePositionalEmbedding: Bool = false,
                              profile: ForwardProfile? = nil) -> DenseFeatures {
        guard let profile else {
            return denseFeatures(image, includePositionalEmbedding: includePositionalEmbedding, recordingIn: nil)
        }
        return profile.measureForward {
            denseFeatures(image, includePositionalEmbedding: includePositionalEmbedding, recordingIn: profile)
        }
    }

    /// `denseFeatures(_:includePositionalEmbedding:profile:)`, its operations recorded in
    /// `profile` (the caller times the whole).
    private func denseFeatures(_ image: Tensor, includePositionalEmbedding: Bool,
                               recordingIn profile: ForwardProfile?) -> DenseFeatures {
        let arch = architecture
        let c = arch.visionWidth
        let workspace = makeVisionWorkspace(tokens: visionTokens(image), profile: profile)
        var (x, gh, gw) = visionTrunk(image, blocks: vision.blocks.count - 1, workspace: workspace)
        let rows = 1 + gh * gw
        var out = [Float](repeating: 0, count: gh * gw * arch.embedDim)
        var classToken = [Float](repeating: 0, count: arch.embedDim)
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            if let last = vision.blocks.last {
                last.valuePathForward(x: xp, rows: rows, activation: arch.activation, eps: arch.layerNormEps,
                                      workspace: workspace)
            }
            profile.measure(.head, flops: vision.lnPost.flops(rows: rows) + vision.projection.flops(rows: rows)) {
                vision.lnPost.forward(out: xp + c, inp: xp + c, rows: gh * gw, eps: arch.layerNormEps)
                out.withUnsafeMutableBufferPointer { o in
                    vision.projection.forward(out: o.baseAddress!, inp: xp + c, rows: gh * gw)
                }
                vision.lnPost.forward(out: xp, inp: xp, rows: 1, eps: arch.layerNormEps)
                classToken.withUnsafeMutableBufferPointer { o in vision.projection.forward(out: o.baseAddress!, inp: xp, rows: 1) }
            }
        }
        var dense = DenseFeatures(
            features: Tensor(shape: [gh, gw, arch.embedDim], data: out),
            positionalEmbedding: includePositionalEmbedding ? patchPositionalEmbedding(gridHeight: gh, gridWidth: gw) : nil)
        dense.classToken = Tensor(shape: [arch.embedDim], data: classToken)
        return dense
    }

    /// The patch positional embeddings on an h x w grid, [width, h, w]: the native grid's
    /// embeddings resized bicubically (PyTorch `F.interpolate(mode='bicubic',
    /// align_corners=False)`), or as stored when the grid is the native one.
    public func patchPositionalEmbedding(gridHeight gh: Int, gridWidth gw: Int) -> Tensor {
        let c = architecture.visionWidth
        let g = architecture.visionGrid
        // Stored rows 1... are [g*g, C]; transpose to channel-major [C, g, g].
        var native = [Float](repeating: 0, count: c * g * g)
        vision.positionalEmbedding.withUnsafeBufferPointer { pos in
            for p in 0..<(g * g) { for ch in 0..<c { native[ch * g * g + p] = pos[(1 + p) * c + ch] } }
        }
        if gh == g && gw == g { return Tensor(shape: [c, g, g], data: native) }
        var resized = [Float](repeating: 0, count: c * gh * gw)
        bicubicResizeForward(out: &resized, inp: native, channels: c, inHeight: g, inWidth: g,
                             outHeight: gh, outWidth: gw)
        return Tensor(shape: [c, gh, gw], data: resized)
    }

    /// Patch grid (rows, columns) of an image [3, H, W] after padding to the patch multiple.
    func patchGrid(_ image: Tensor) -> (Int, Int) {
        precondition(image.rank == 3 && image.shape[0] == 3, "image must be [3, H, W], got \(image.shape)")
        let p = architecture.patchSize
        return ((image.shape[1] + p - 1) / p, (image.shape[2] + p - 1) / p)
    }

    func visionTokens(_ image: Tensor) -> Int {
        let (gh, gw) = patchGrid(image)
        return 1 + gh * gw
    }

    func makeVisionWorkspace(tokens: Int, profile: ForwardProfile? = nil) -> TransformerWorkspace {
        let w = architecture.visionWidth
        return TransformerWorkspace(rows: tokens, width: w, hiddenWidth: vision.blocks.first?.fc1.outFeatures ?? 4 * w,
                                    profile: profile)
    }

    /// Residual stream [1 + h*w, C] after ln_pre and the first `blocks` blocks. The patch
    /// positional embeddings are `patchPositional` ([C, h*w], channel-major) when given (the
    /// training-free heads resize them their own way), else the stored or size-resized ones.
    /// The workspace's profile, if any, records the patch embedding, ln_pre and the blocks.
    func visionTrunk(_ image: Tensor, blocks: Int, workspace: TransformerWorkspace?,
                     patchPositional: [Float]? = nil) -> ([Float], Int, Int) {
        let arch = architecture
        let (c, p) = (arch.visionWidth, arch.patchSize)
        let (gh, gw) = patchGrid(image)
        let n = gh * gw
        let tokens = 1 + n
        var x = [Float](repeating: 0, count: tokens * c)
        var patches = [Float](repeating: 0, count: n * 3 * p * p)
        let profile = workspace?.profile
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            profile.measure(.patchEmbedding, flops: 2 * Double(n * c * 3 * p * p)) {
                patchEmbeddingForward(out: xp + c, patches: &patches, inp: image.data, weight: vision.patchEmbedding,
                                      channels: 3, height: image.shape[1], width: image.shape[2], patch: p,
                                      outChannels: c)
            }
            // Timed as part of `.rest`: one add per value of the class token and the patch rows.
            profile?.record(.rest, seconds: 0, flops: Double(tokens * c))
            // Class token and positional embeddings.
            for ch in 0..<c { xp[ch] = vision.classEmbedding[ch] + vision.positionalEmbedding[ch] }
            if let grid = patchPositional {
                precondition(grid.count == n * c, "patch positional embeddings hold \(grid.count) values, expected \(n * c)")
                for i in 0..<n { for ch in 0..<c { xp[(1 + i) * c + ch] += grid[ch * n + i] } }
            } else if gh == arch.visionGrid && gw == arch.visionGrid {
                vision.positionalEmbedding.withUnsafeBufferPointer { pos in
                    residualForward(out: xp + c, a: xp + c, b: pos.baseAddress! + c, count: n * c)
                }
            } else {
                let grid = patchPositionalEmbedding(gridHeight: gh, gridWidth: gw).data
                for i in 0..<n { for ch in 0..<c { xp[(1 + i) * c + ch] += grid[ch * n + i] } }
            }
            profile.measure(.layerNorm, flops: vision.lnPre.flops(rows: tokens)) {
                vision.lnPre.forward(out: xp, inp: xp, rows: tokens, eps: arch.layerNormEps)
            }
            let ws = workspace ?? makeVisionWorkspace(tokens: tokens)
            for block in vision.blocks.prefix(blocks) {
                block.forward(x: xp, sequenceLengths: [tokens], heads: arch.visionHeads, causal: false,
                              activation: arch.activation, eps: arch.layerNormEps, workspace: ws)
            }
        }
        return (x, gh, gw)
    }
}
