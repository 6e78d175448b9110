import Math
import FileIO
import ModelFiles

/// The two checkpoint layouts a `CLIPModel` can be read from.
public enum CLIPCheckpointLayout: String, Sendable {
    /// OpenAI / open_clip state dict: `visual.conv1.weight`, fused `in_proj_weight`, `visual.proj`.
    case openAI = "openai"
    /// HuggingFace transformers `CLIPModel`: `vision_model.*`, `text_model.*`, separate q/k/v.
    case huggingFace = "huggingface"
}

extension CLIPModel {
    /// Loads a ViT CLIP model from a safetensors file in either layout, reading the
    /// architecture off the tensor shapes (as OpenAI's `build_model` does).
    ///
    /// Heads default to width / 64 for both towers; the file's `__metadata__` entries
    /// `vision_heads` / `text_heads` override that, and the arguments override both. The
    /// activation defaults to QuickGELU (metadata `activation`: `quick_gelu` or `gelu`), the
    /// global pooling to the class token (metadata `pooling`: `cls` or `avg`).
    ///
    /// With `visionPrecision` `.bf16` each image-tower block's four linear layers are rounded to
    /// bfloat16 as the block is read, so their float32 weights are released one block at a time
    /// and never all held at once (`converted(to:)` on a loaded model holds both); the caller
    /// checks the CPU first (`load(contentsOf:precision:)` does).
    public init(contentsOf path: String, visionHeads: Int? = nil, textHeads: Int? = nil,
                activation: Activation? = nil, visionPrecision: Precision = .fp32) throws {
        let file = try SafeTensorsFile(path: path)
        try self.init(file: file, visionHeads: visionHeads, textHeads: textHeads, activation: activation,
                      visionPrecision: visionPrecision)
    }

    /// The weights at `path` with the image tower in `requested` where the CPU allows it
    /// (`Precision.available`), converted while reading, and the fallback's one-line notice.
    ///
    /// ```swift
    /// let (model, notice) = try CLIPModel.load(contentsOf: path, precision: .bf16)
    /// if let notice { print(notice) }      // on a CPU without AVX512_BF16
    /// ```
    public static func load(contentsOf path: String, precision requested: Precision) throws -> (model: CLIPModel, notice: String?) {
        let (precision, notice) = requested.available
        return (try CLIPModel(contentsOf: path, visionPrecision: precision), notice)
    }

    /// Loads from an opened safetensors file; see `init(contentsOf:visionHeads:textHeads:activation:visionPrecision:)`.
    public init(file: SafeTensorsFile, visionHeads: Int? = nil, textHeads: Int? = nil,
                activation: Activation? = nil, visionPrecision: Precision = .fp32) throws {
        var reader = CheckpointReader(file: file)
        reader.visionPrecision = visionPrecision
        let layout = try reader.layout()
        func heads(_ argument: Int?, _ key: String, width: Int, tower: String) throws -> Int {
            var h = width / 64
            if let text = file.metadata[key] {
                guard let m = Int(text), m > 0 else { throw reader.error(nil, "metadata \(key) = '\(text)' is not a positive integer") }
                h = m
            }
            if let argument { h = argument }
            guard h > 0, width % h == 0 else {
                throw reader.error(nil, "\(tower) width \(width) cannot be split into \(h) heads; store \(key) in the metadata or pass the head count")
            }
            return h
        }
        var act = Activation.quickGELU
        if let name = file.metadata["activation"] {
            guard let a = Activation(rawValue: name) else { throw reader.error(nil, "metadata activation = '\(name)' is not quick_gelu or gelu") }
            act = a
        }
        if let activation { act = activation }
        switch layout {
        case .openAI: self = try reader.openAI(visionHeads: { try heads(visionHeads, "vision_heads", width: $0, tower: "vision") },
                                               textHeads: { try heads(textHeads, "text_heads", width: $0, tower: "text") },
                                               activation: act)
        case .huggingFace: self = try reader.huggingFace(visionHeads: { try heads(visionHeads, "vision_heads", width: $0, tower: "vision") },
                                                         textHeads: { try heads(textHeads, "text_heads", width: $0, tower: "text") },
                                                         activation: act)
        }
        if let name = file.metadata["pooling"] {
            guard let pooling = ImagePooling(rawValue: name) else {
                throw reader.error(nil, "metadata pooling = '\(name)' is not cls or avg")
            }
            architecture.pooling = pooling
        }
    }
}

/// Reads named, shape-checked tensors out of a checkpoint and assembles the towers.
struct CheckpointReader {
    let file: SafeTensorsFile
    /// "module." when every name carries the DataParallel prefix, else "".
    let prefix: String
    /// The precision each image-tower block is converted to as soon as it is read.
    var visionPrecision: Precision = .fp32

    init(file: SafeTensorsFile) {
        self.file = file
        let names = file.entries.keys
        prefix = !names.isEmpty && names.allSatisfy { $0.hasPrefix("module.") } ? "module." : ""
    }

    func error(_ tensor: String?, _ problem: String) -> SafeTensorsError {
        SafeTensorsError(file: file.path, tensor: tensor.map { prefix + $0 }, problem)
    }

    func has(_ name: String) -> Bool { file.entries[prefix + name] != nil }

    func shape(_ name: String) throws -> [Int] { try file.entry(prefix + name).shape }

    /// The elements of `name`, which must have exactly `shape`.
    func read(_ name: String, _ shape: [Int]) throws -> [Float] {
        try file.tensor(prefix + name, shape: shape).data
    }

    /// The elements of a 2-D tensor `name` [rows, columns], transposed to [columns, rows].
    func readTransposed(_ name: String, _ rows: Int, _ columns: Int) throws -> [Float] {
        let m = try read(name, [rows, columns])
        var t = [Float](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = m[r * columns + c] } }
        return t
    }

    /// A tensor whose shape must have rank `rank`.
    func shape(_ name: String, rank: Int) throws -> [Int] {
        let s = try shape(name)
        guard s.count == rank else { throw error(name, "shape \(s) should have \(rank) dimensions") }
        return s
    }

    func layout() throws -> CLIPCheckpointLayout {
        if has("visual.conv1.weight") { return .openAI }
        if has("vision_model.embeddings.patch_embedding.weight") { return .huggingFace }
        if has("visual.layer1.0.conv1.weight") {
            throw error(nil, "a ResNet CLIP checkpoint; only ViT CLIP models are supported")
        }
        throw error(nil, "not a CLIP checkpoint: found neither visual.conv1.weight (OpenAI/open_clip) nor vision_model.embeddings.patch_embedding.weight (HuggingFace)")
    }

    /// Number of blocks `<stem>N.` present, checking they are numbered 0..<N.
    func layerCount(_ stem: String) throws -> Int {
        var seen = Set<Int>()
        for name in file.entries.keys where name.hasPrefix(prefix + stem) {
            let rest = name.dropFirst(prefix.count + stem.count)
            if let n = Int(rest.prefix { $0 != "." }) { seen.insert(n) }
        }
        guard !seen.isEmpty, seen == Set(0..<seen.count) else {
            throw error(nil, "blocks \(stem)N are missing or not numbered 0..<N")
        }
        let range = CLIPArchitecture.layerRange
        guard range.contains(seen.count) else {
            throw error(nil, "\(seen.count) blocks \(stem)N, outside \(range.lowerBound)...\(range.upperBound)")
        }
        return seen.count
    }

    /// `value`, read off the shape of `tensor` as `what`, if it lies in `range`.
    func bounded(_ value: Int, _ what: String, _ range: ClosedRange<Int>, _ tensor: String) throws -> Int {
        guard range.contains(value) else {
            throw error(tensor, "\(what) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Patches per side of the grid of a positional embedding `[1 + grid², C]`.
    func grid(_ name: String) throws -> Int {
        let positions = try shape(name, rank: 2)[0]
        let largest = CLIPArchitecture.gridRange.upperBound
        guard positions >= 2, positions <= largest * largest + 1 else {
            throw error(name, "\(positions) positions is not 1 + a square grid of 1...\(largest) patches per side")
        }
        let grid = Int(Double(positions - 1).squareRoot().rounded())
        guard grid * grid + 1 == positions else { throw error(name, "\(positions) positions is not 1 + a square grid") }
        return grid
    }

    /// The MLP hidden width H of the blocks `<stem>0.` ..< `<stem>layers.` of width `c`, from the
    /// shapes alone (nothing is read): every block's `fc1` is `[H, ...]` and its `fc2` `[c, H]`,
    /// the same H > 0 in every block (the blocks share one scratch buffer of that width).
    func mlpHiddenWidth(_ stem: String, layers: Int, fc1: String, fc2: String, width c: Int) throws -> Int {
        var hidden: Int?
        for i in 0..<layers {
            let up = "\(stem)\(i).\(fc1).weight", down = "\(stem)\(i).\(fc2).weight"
            let h = try shape(up, rank: 2)[0]
            if let hidden {
                guard h == hidden else {
                    throw error(up, "MLP hidden width \(h) differs from block 0's \(hidden); every block must have the same")
                }
            } else {
                hidden = try bounded(h, "MLP hidden width", CLIPArchitecture.hiddenWidthRange, up)
            }
            let d = try shape(down, rank: 2)
            guard d == [c, h] else { throw error(down, "shape \(d), expected [\(c), \(h)] (the MLP back from its hidden width)") }
        }
        guard let hidden else { throw error(nil, "blocks \(stem)N are missing") }
        return hidden
    }

    func layerNorm(_ stem: String, _ width: Int) throws -> LayerNormWeights {
        LayerNormWeights(weight: try read(stem + ".weight", [width]), bias: try read(stem + ".bias", [width]))
    }

    func linear(_ stem: String, _ inFeatures: Int, _ outFeatures: Int) throws -> LinearWeights {
        LinearWeights(weight: try read(stem + ".weight", [outFeatures, inFeatures]),
                      bias: try read(stem + ".bias", [outFeatures]), inFeatures: inFeatures, outFeatures: outFeatures)
    }

    func logitScale(_ name: String) throws -> Float {
        let v = try file.floats(prefix + name)
        guard v.count == 1 else { throw error(name, "expected a single value, found \(v.count)") }
        return v[0]
    }

    // MARK: OpenAI / open_clip

    /// An image-tower block as read, in `visionPrecision` (its float32 linear weights released
    /// here when that is bf16).
    func visionBlock(_ block: TransformerBlockWeights) -> TransformerBlockWeights {
        var b = block
        if visionPrecision == .bf16 { b.convertToBF16() }
        return b
    }

    func openAIBlock(_ stem: String, _ c: Int, hidden: Int) throws -> TransformerBlockWeights {
        TransformerBlockWeights(
            ln1: try layerNorm(stem + "ln_1", c),
            qkv: LinearWeights(weight: try read(stem + "attn.in_proj_weight", [3 * c, c]),
                               bias: try read(stem + "attn.in_proj_bias", [3 * c]), inFeatures: c, outFeatures: 3 * c),
            out: try linear(stem + "attn.out_proj", c, c),
            ln2: try layerNorm(stem + "ln_2", c),
            fc1: try linear(stem + "mlp.c_fc", c, hidden),
            fc2: try linear(stem + "mlp.c_proj", hidden, c))
    }

    /// Every size is read off the shapes and checked (`CLIPArchitecture`'s ranges, heads
    /// dividing widths, one MLP width per tower) before any tensor is read.
    func openAI(visionHeads: (Int) throws -> Int, textHeads: (Int) throws -> Int,
                activation: Activation) throws -> CLIPModel {
        let convName = "visual.conv1.weight"
        let conv = try shape(convName, rank: 4)
        guard conv[1] == 3, conv[2] == conv[3] else { throw error(convName, "shape \(conv) is not [width, 3, P, P]") }
        let vw = try bounded(conv[0], "vision width", CLIPArchitecture.widthRange, convName)
        let patch = try bounded(conv[3], "patch size", CLIPArchitecture.patchSizeRange, convName)
        let grid = try grid("visual.positional_embedding")
        let positions = grid * grid + 1
        let embedDim = try bounded(try shape("text_projection", rank: 2)[1], "joint embedding size",
                                   CLIPArchitecture.widthRange, "text_projection")
        let tokenShape = try shape("token_embedding.weight", rank: 2)
        let vocab = try bounded(tokenShape[0], "vocabulary size", CLIPArchitecture.vocabularyRange, "token_embedding.weight")
        let tw = try bounded(tokenShape[1], "text width", CLIPArchitecture.widthRange, "token_embedding.weight")
        let context = try bounded(try shape("positional_embedding", rank: 2)[0], "context length",
                                  CLIPArchitecture.contextRange, "positional_embedding")
        let (visionStem, textStem) = ("visual.transformer.resblocks.", "transformer.resblocks.")
        let arch = CLIPArchitecture(
            embedDim: embedDim, visionWidth: vw, visionLayers: try layerCount(visionStem),
            visionHeads: try visionHeads(vw), patchSize: patch, visionGrid: grid, textWidth: tw,
            textLayers: try layerCount(textStem), textHeads: try textHeads(tw),
            contextLength: context, vocabularySize: vocab, activation: activation)
        let visionHidden = try mlpHiddenWidth(visionStem, layers: arch.visionLayers, fc1: "mlp.c_fc", fc2: "mlp.c_proj", width: vw)
        let textHidden = try mlpHiddenWidth(textStem, layers: arch.textLayers, fc1: "mlp.c_fc", fc2: "mlp.c_proj", width: tw)
        let vision = VisionTowerWeights(
            patchEmbedding: try read(convName, conv),
            classEmbedding: try read("visual.class_embedding", [vw]),
            positionalEmbedding: try read("visual.positional_embedding", [positions, vw]),
            lnPre: try layerNorm("visual.ln_pre", vw),
            blocks: try (0..<arch.visionLayers).map { visionBlock(try openAIBlock("\(visionStem)\($0).", vw, hidden: visionHidden)) },
            lnPost: try layerNorm("visual.ln_post", vw),
            projection: LinearWeights(weight: try readTransposed("visual.proj", vw, embedDim), bias: nil,
                                      inFeatures: vw, outFeatures: embedDim))
        let text = TextTowerWeights(
            tokenEmbedding: try read("token_embedding.weight", tokenShape),
            positionalEmbedding: try read("positional_embedding", [context, tw]),
            blocks: try (0..<arch.textLayers).map { try openAIBlock("\(textStem)\($0).", tw, hidden: textHidden) },
            lnFinal: try layerNorm("ln_final", tw),
            projection: LinearWeights(weight: try readTransposed("text_projection", tw, embedDim), bias: nil,
                                      inFeatures: tw, outFeatures: embedDim))
        return CLIPModel(architecture: arch, vision: vision, text: text, logitScale: try logitScale("logit_scale"))
    }

    // MARK: HuggingFace transformers

    func huggingFaceBlock(_ stem: String, _ c: Int, hidden: Int) throws -> TransformerBlockWeights {
        var weight = try read(stem + "self_attn.q_proj.weight", [c, c])
        weight += try read(stem + "self_attn.k_proj.weight", [c, c])
        weight += try read(stem + "self_attn.v_proj.weight", [c, c])
        var bias = try read(stem + "self_attn.q_proj.bias", [c])
        bias += try read(stem + "self_attn.k_proj.bias", [c])
        bias += try read(stem + "self_attn.v_proj.bias", [c])
        return TransformerBlockWeights(
            ln1: try layerNorm(stem + "layer_norm1", c),
            qkv: LinearWeights(weight: weight, bias: bias, inFeatures: c, outFeatures: 3 * c),
            out: try linear(stem + "self_attn.out_proj", c, c),
            ln2: try layerNorm(stem + "layer_norm2", c),
            fc1: try linear(stem + "mlp.fc1", c, hidden),
            fc2: try linear(stem + "mlp.fc2", hidden, c))
    }

    /// As `openAI`: every size checked before any tensor is read.
    func huggingFace(visionHeads: (Int) throws -> Int, textHeads: (Int) throws -> Int,
                     activation: Activation) throws -> CLIPModel {
        let convName = "vision_model.embeddings.patch_embedding.weight"
        let conv = try shape(convName, rank: 4)
        guard conv[1] == 3, conv[2] == conv[3] else { throw error(convName, "shape \(conv) is not [width, 3, P, P]") }
        let vw = try bounded(conv[0], "vision width", CLIPArchitecture.widthRange, convName)
        let patch = try bounded(conv[3], "patch size", CLIPArchitecture.patchSizeRange, convName)
        let positionName = "vision_model.embeddings.position_embedding.weight"
        let grid = try grid(positionName)
        let positions = grid * grid + 1
        let embedDim = try bounded(try shape("text_projection.weight", rank: 2)[0], "joint embedding size",
                                   CLIPArchitecture.widthRange, "text_projection.weight")
        let tokenName = "text_model.embeddings.token_embedding.weight"
        let tokenShape = try shape(tokenName, rank: 2)
        let vocab = try bounded(tokenShape[0], "vocabulary size", CLIPArchitecture.vocabularyRange, tokenName)
        let tw = try bounded(tokenShape[1], "text width", CLIPArchitecture.widthRange, tokenName)
        let contextName = "text_model.embeddings.position_embedding.weight"
        let context = try bounded(try shape(contextName, rank: 2)[0], "context length", CLIPArchitecture.contextRange, contextName)
        let (visionStem, textStem) = ("vision_model.encoder.layers.", "text_model.encoder.layers.")
        let arch = CLIPArchitecture(
            embedDim: embedDim, visionWidth: vw, visionLayers: try layerCount(visionStem),
            visionHeads: try visionHeads(vw), patchSize: patch, visionGrid: grid, textWidth: tw,
            textLayers: try layerCount(textStem), textHeads: try textHeads(tw),
            contextLength: context, vocabularySize: vocab, activation: activation)
        let visionHidden = try mlpHiddenWidth(visionStem, layers: arch.visionLayers, fc1: "mlp.fc1", fc2: "mlp.fc2", width: vw)
        let textHidden = try mlpHiddenWidth(textStem, layers: arch.textLayers, fc1: "mlp.fc1", fc2: "mlp.fc2", width: tw)
        let vision = VisionTowerWeights(
            patchEmbedding: try read(convName, conv),
            classEmbedding: try read("vision_model.embeddings.class_embedding", [vw]),
            positionalEmbedding: try read(positionName, [positions, vw]),
            lnPre: try layerNorm("vision_model.pre_layrnorm", vw),
            blocks: try (0..<arch.visionLayers).map { visionBlock(try huggingFaceBlock("\(visionStem)\($0).", vw, hidden: visionHidden)) },
            lnPost: try layerNorm("vision_model.post_layernorm", vw),
            projection: LinearWeights(weight: try read("visual_projection.weight", [embedDim, vw]), bias: nil,
                                      inFeatures: vw, outFeatures: embedDim))
        let text = TextTowerWeights(
            tokenEmbedding: try read(tokenName, tokenShape),
            positionalEmbedding: try read(contextName, [context, tw]),
            blocks: try (0..<arch.textLayers).map { try huggingFaceBlock("\(textStem)\($0).", tw, hidden: textHidden) },
            lnFinal: try layerNorm("text_model.final_layer_norm", tw),
            projection: LinearWeights(weight: try read("text_projection.weight", [embedDim, tw]), bias: nil,
                                      inFeatures: tw, outFeatures: embedDim))
        return CLIPModel(architecture: arch, vision: vision, text: text, logitScale: try logitScale("logit_scale"))
    }
}
