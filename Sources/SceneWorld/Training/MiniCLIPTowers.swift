import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// A small CLIP being trained: its configuration and parameters (OpenAI state-dict names),
/// with forward and backward passes of both towers.
///
/// ```swift
/// var model = MiniCLIP(config: .default, seed: 1)
/// let image = model.imageForward(pixels, batch: 8)        // pixels [8, 3, 96, 96], CLIP-normalised
/// let text = model.textForward(tokens, batch: 8)          // tokens [8, 32], EOT = highest id
/// ```
public struct MiniCLIP: Sendable {
    public let config: MiniCLIPConfig
    public var parameters: ParameterSet

    /// Initialises the parameters as OpenAI's `CLIP.initialize_parameters` does (normal
    /// draws from the world's own generator, so the start is reproducible).
    public init(config: MiniCLIPConfig, seed: UInt64) {
        self.config = config
        parameters = ParameterSet(layout: config.parameterLayout)
        var rng = WorldRandom(seed: seed)
        func normal(_ name: String, _ std: Float) {
            let i = parameters.index(name)
            for j in 0..<parameters.values[i].count { parameters.values[i][j] = rng.normal() * std }
        }
        for (name, _) in config.parameterLayout where name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight")
            || name.hasSuffix("ln_pre.weight") || name.hasSuffix("ln_post.weight") || name == "ln_final.weight" {
            parameters[name] = [Float](repeating: 1, count: parameters[name].count)
        }
        let vw = Float(config.visionWidth), tw = Float(config.textWidth)
        normal("visual.class_embedding", 1 / vw.squareRoot())
        normal("visual.positional_embedding", 1 / vw.squareRoot())
        normal("visual.conv1.weight", 1 / Float(3 * config.patchSize * config.patchSize).squareRoot())
        normal("visual.proj", 1 / vw.squareRoot())
        normal("token_embedding.weight", 0.02)
        normal("positional_embedding", 0.01)
        normal("text_projection", 1 / tw.squareRoot())
        for (prefix, width, layers) in [("visual.", vw, config.visionLayers), ("", tw, config.textLayers)] {
            let attnStd = 1 / width.squareRoot(), projStd = attnStd / (2 * Float(layers)).squareRoot()
            let fcStd = 1 / (2 * width).squareRoot()
            for i in 0..<layers {
                let p = "\(prefix)transformer.resblocks.\(i)."
                normal(p + "attn.in_proj_weight", attnStd)
                normal(p + "attn.out_proj.weight", projStd)
                normal(p + "mlp.c_fc.weight", fcStd)
                normal(p + "mlp.c_proj.weight", projStd)
            }
        }
        parameters["logit_scale"] = [logf(1 / 0.07)]
    }

    public init(config: MiniCLIPConfig, parameters: ParameterSet) {
        self.config = config
        self.parameters = parameters
    }

    // MARK: image tower

    /// What the image tower's backward needs.
    struct ImageActivations {
        var patches: [Float]
        var tokens: [Float]
        var lnPre: (y: [Float], mean: [Float], rstd: [Float])
        var blocks: [BlockActivations]
        /// The rows `ln_post` reads: the class token [B, W], or every patch token [B*G, W].
        var pooledRows: [Float]
        var lnPost: (y: [Float], mean: [Float], rstd: [Float])
        /// What `visual.proj` reads, [B, W].
        var pooled: [Float]
    }

    // patches[b*G + p, (c*P + ky)*P + kx] = pixels[b, c, gy*P + ky, gx*P + kx]
    // x[b, 0] = class_embedding + pos[0];  x[b, 1 + p] = patches @ conv1^T + pos[1 + p]
    // x = ln_pre(x); x = blocks(x)
    // class token:  out = ln_post(x[:, 0]) @ proj
    // patch mean:   out = (1/G sum_p ln_post(x[:, 1 + p])) @ proj
    /// Image embeddings [B, E] of B CLIP-normalised images [B, 3, S, S].
    func imageForward(_ pixels: [Float], batch B: Int) -> (embedding: [Float], cache: ImageActivations) {
        let c = config, P = c.patchSize, g = c.grid, G = g * g, T = c.imageTokens, W = c.visionWidth, S = c.imageSize
        let row = 3 * P * P
        var patches = [Float](repeating: 0, count: B * G * row)
        for b in 0..<B {
            for gy in 0..<g { for gx in 0..<g {
                let dst = (b * G + gy * g + gx) * row
                for ch in 0..<3 { for ky in 0..<P { for kx in 0..<P {
                    patches[dst + (ch * P + ky) * P + kx] = pixels[((b * 3 + ch) * S + gy * P + ky) * S + gx * P + kx]
                } } }
            } }
        }
        let embedded = matmulForward(patches, weight: parameters["visual.conv1.weight"], bias: nil, N: B * G, C: row, OC: W)
        let cls = parameters["visual.class_embedding"], pos = parameters["visual.positional_embedding"]
        var tokens = [Float](repeating: 0, count: B * T * W)
        for b in 0..<B {
            for i in 0..<W { tokens[b * T * W + i] = cls[i] + pos[i] }
            for p in 0..<G {
                for i in 0..<W { tokens[(b * T + 1 + p) * W + i] = embedded[(b * G + p) * W + i] + pos[(1 + p) * W + i] }
            }
        }
        let lnPre = layerNormForward(tokens, weight: parameters["visual.ln_pre.weight"], bias: parameters["visual.ln_pre.bias"], N: B * T, C: W)
        var x = lnPre.y
        var blocks: [BlockActivations] = []
        for l in 0..<c.visionLayers {
            let r = Self.block(parameters, prefix: "visual.transformer.resblocks.\(l).", width: W)
                .forward(x, batch: B, tokens: T, heads: c.visionHeads, causal: false, activation: .quickGELU, eps: 1e-5)
            x = r.out
            blocks.append(r.cache)
        }
        let mean = c.imagePooling == .patchMean
        let perImage = mean ? G : 1
        var pooledRows = [Float](repeating: 0, count: B * perImage * W)
        for b in 0..<B {
            for r in 0..<perImage {
                let src = (b * T + (mean ? 1 + r : 0)) * W, dst = (b * perImage + r) * W
                for i in 0..<W { pooledRows[dst + i] = x[src + i] }
            }
        }
        let lnPost = layerNormForward(pooledRows, weight: parameters["visual.ln_post.weight"], bias: parameters["visual.ln_post.bias"],
                                      N: B * perImage, C: W)
        var pooled = lnPost.y
        if mean {
            pooled = [Float](repeating: 0, count: B * W)
            let scale = 1 / Float(G)
            for b in 0..<B { for r in 0..<G { for i in 0..<W { pooled[b * W + i] += lnPost.y[(b * G + r) * W + i] * scale } } }
        }
        let embedding = matrixProduct(pooled, parameters["visual.proj"], M: B, K: W, N: c.embedDim)
        return (embedding, ImageActivations(patches: patches, tokens: tokens, lnPre: lnPre, blocks: blocks,
                                             pooledRows: pooledRows, lnPost: lnPost, pooled: pooled))
    }

    /// Backward of `imageForward`: accumulates every image-tower gradient into `grads`.
    func imageBackward(_ dembedding: [Float], _ a: ImageActivations, batch B: Int, grads: inout ParameterSet) {
        let c = config, P = c.patchSize, G = c.grid * c.grid, T = c.imageTokens, W = c.visionWidth, E = c.embedDim
        let row = 3 * P * P
        // out = lnPost @ proj: dproj[W, E] += lnPost^T @ dout, dlnPost = dout @ proj^T.
        let dpooled = matrixProduct(dembedding, parameters["visual.proj"], M: B, K: E, N: W, transposeB: true)
        let dproj = matrixProduct(a.pooled, dembedding, M: W, K: B, N: E, transposeA: true)
        let projIndex = grads.index("visual.proj")
        for i in 0..<dproj.count { grads.values[projIndex][i] += dproj[i] }
        let mean = c.imagePooling == .patchMean
        let perImage = mean ? G : 1
        // The mean's backward spreads d(pooled) / G over the patch rows.
        var dlnPost = dpooled
        if mean {
            dlnPost = [Float](repeating: 0, count: B * G * W)
            let scale = 1 / Float(G)
            for b in 0..<B { for r in 0..<G { for i in 0..<W { dlnPost[(b * G + r) * W + i] = dpooled[b * W + i] * scale } } }
        }
        var dpooledRows = [Float](repeating: 0, count: B * perImage * W)
        layerNormBackwardInto(&grads, w: grads.index("visual.ln_post.weight"), b: grads.index("visual.ln_post.bias"),
                              dy: dlnPost, x: a.pooledRows, cache: a.lnPost, weight: parameters["visual.ln_post.weight"],
                              dx: &dpooledRows, N: B * perImage, C: W)
        var dx = [Float](repeating: 0, count: B * T * W)
        for b in 0..<B {
            for r in 0..<perImage {
                let dst = (b * T + (mean ? 1 + r : 0)) * W, src = (b * perImage + r) * W
                for i in 0..<W { dx[dst + i] = dpooledRows[src + i] }
            }
        }
        for l in stride(from: c.visionLayers - 1, through: 0, by: -1) {
            dx = Self.blockBackward(dx, a.blocks[l], parameters, &grads, prefix: "visual.transformer.resblocks.\(l).",
                                    width: W, heads: c.visionHeads, causal: false)
        }
        var dtokens = [Float](repeating: 0, count: B * T * W)
        layerNormBackwardInto(&grads, w: grads.index("visual.ln_pre.weight"), b: grads.index("visual.ln_pre.bias"),
                              dy: dx, x: a.tokens, cache: a.lnPre, weight: parameters["visual.ln_pre.weight"],
                              dx: &dtokens, N: B * T, C: W)
        let clsIndex = grads.index("visual.class_embedding"), posIndex = grads.index("visual.positional_embedding")
        var dembedded = [Float](repeating: 0, count: B * G * W)
        for b in 0..<B {
            for t in 0..<T {
                for i in 0..<W {
                    let d = dtokens[(b * T + t) * W + i]
                    grads.values[posIndex][t * W + i] += d
                    if t == 0 { grads.values[clsIndex][i] += d } else { dembedded[(b * G + t - 1) * W + i] = d }
                }
            }
        }
        var dpatches = [Float](repeating: 0, count: B * G * row)
        var dconv: [Float]? = grads.values[grads.index("visual.conv1.weight")]
        var none: [Float]? = nil
        matmulBackward(dout: dembedded, inp: a.patches, weight: parameters["visual.conv1.weight"], dinp: &dpatches,
                       dweight: &dconv, dbias: &none, N: B * G, C: row, OC: W)
        grads.values[grads.index("visual.conv1.weight")] = dconv!
    }

    // MARK: text tower

    /// What the text tower's backward needs.
    struct TextActivations {
        var tokens: [Int32]
        var ends: [Int]
        var blocks: [BlockActivations]
        var endRows: [Float]
        var lnFinal: (y: [Float], mean: [Float], rstd: [Float])
    }

    // x[b, t] = token_embedding[ids[b, t]] + pos[t]; x = blocks(x) (causal)
    // out = ln_final(x[b, argmax ids[b]]) @ text_projection
    /// Text embeddings [B, E] of B token rows [B, L] (L = context length).
    func textForward(_ tokens: [Int32], batch B: Int) -> (embedding: [Float], cache: TextActivations) {
        let c = config, L = c.contextLength, W = c.textWidth
        let table = parameters["token_embedding.weight"], pos = parameters["positional_embedding"]
        var x = [Float](repeating: 0, count: B * L * W)
        var ends = [Int](repeating: 0, count: B)
        for b in 0..<B {
            var best: Int32 = -1
            for t in 0..<L {
                let id = Int(tokens[b * L + t])
                if tokens[b * L + t] > best { best = tokens[b * L + t]; ends[b] = t }
                for i in 0..<W { x[(b * L + t) * W + i] = table[id * W + i] + pos[t * W + i] }
            }
        }
        var blocks: [BlockActivations] = []
        for l in 0..<c.textLayers {
            let r = Self.block(parameters, prefix: "transformer.resblocks.\(l).", width: W)
                .forward(x, batch: B, tokens: L, heads: c.textHeads, causal: true, activation: .quickGELU, eps: 1e-5)
            x = r.out
            blocks.append(r.cache)
        }
        var endRows = [Float](repeating: 0, count: B * W)
        for b in 0..<B { for i in 0..<W { endRows[b * W + i] = x[(b * L + ends[b]) * W + i] } }
        let lnFinal = layerNormForward(endRows, weight: parameters["ln_final.weight"], bias: parameters["ln_final.bias"], N: B, C: W)
        let embedding = matrixProduct(lnFinal.y, parameters["text_projection"], M: B, K: W, N: c.embedDim)
        return (embedding, TextActivations(tokens: tokens, ends: ends, blocks: blocks, endRows: endRows, lnFinal: lnFinal))
    }

    /// Backward of `textForward`: accumulates every text-tower gradient into `grads`.
    func textBackward(_ dembedding: [Float], _ a: TextActivations, batch B: Int, grads: inout ParameterSet) {
        let c = config, L = c.contextLength, W = c.textWidth, E = c.embedDim
        let dlnFinal = matrixProduct(dembedding, parameters["text_projection"], M: B, K: E, N: W, transposeB: true)
        let dproj = matrixProduct(a.lnFinal.y, dembedding, M: W, K: B, N: E, transposeA: true)
        let projIndex = grads.index("text_projection")
        for i in 0..<dproj.count { grads.values[projIndex][i] += dproj[i] }
        var dendRows = [Float](repeating: 0, count: B * W)
        layerNormBackwardInto(&grads, w: grads.index("ln_final.weight"), b: grads.index("ln_final.bias"),
                              dy: dlnFinal, x: a.endRows, cache: a.lnFinal, weight: parameters["ln_final.weight"],
                              dx: &dendRows, N: B, C: W)
        var dx = [Float](repeating: 0, count: B * L * W)
        for b in 0..<B { for i in 0..<W { dx[(b * L + a.ends[b]) * W + i] = dendRows[b * W + i] } }
        for l in stride(from: c.textLayers - 1, through: 0, by: -1) {
            dx = Self.blockBackward(dx, a.blocks[l], parameters, &grads, prefix: "transformer.resblocks.\(l).",
                                    width: W, heads: c.textHeads, causal: true)
        }
        let tableIndex = grads.index("token_embedding.weight"), posIndex = grads.index("positional_embedding")
        for b in 0..<B {
            for t in 0..<L {
                let id = Int(a.tokens[b * L + t])
                for i in 0..<W {
                    let d = dx[(b * L + t) * W + i]
                    grads.values[tableIndex][id * W + i] += d
                    grads.values[posIndex][t * W + i] += d
                }
            }
        }
    }
}
