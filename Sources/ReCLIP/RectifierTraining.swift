import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// One training image for the unsupervised loss: its L2-normalised dense features `[D, P]`
/// (frozen CLIP, computed once) and its pseudo image-level labels (class indices).
public struct TrainingImage: Sendable {
    public let features: [Float]
    public let pseudoLabels: [Int]
    public init(features: [Float], pseudoLabels: [Int]) { self.features = features; self.pseudoLabels = pseudoLabels }
}

/// SGD settings (the authors' tools/train.py: lr 0.01, momentum 0.9, weight decay 5e-4,
/// poly decay with power 0.9 per epoch).
public struct TrainingSettings: Sendable, Equatable {
    public var learningRate: Float = 0.01
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0.0005
    public var polyPower: Float = 0.9
    public init() {}

    /// lr(epoch) = base * (1 - epoch / epochs)^power.
    public func learningRate(epoch: Int, of epochs: Int) -> Float {
        learningRate * powf(1 - Float(epoch) / Float(epochs), polyPower)
    }
}

extension Rectifier {
    /// Names of the learnable tensors (authors' state-dict names), in a fixed order.
    public var parameterNames: [String] {
        var n = ["text_encoder.prompt_token"]
        switch variant {
        case .reclip:
            for i in spaceLayers.indices {
                n += ["proj_net.\(3 * i).weight", "proj_net.\(3 * i).bias",
                      "proj_net.\(3 * i + 1).weight", "proj_net.\(3 * i + 1).bias"]
            }
        case .reclipPlusPlus:
            n += ["pe_proj.weight", "pe_proj.bias", "decoder_conv2.weight", "decoder_conv2.bias",
                  "decoder_norm2.weight", "decoder_norm2.bias"]
        }
        return n
    }

    /// A learnable tensor by name.
    public func parameter(_ name: String) -> [Float] {
        if name == "text_encoder.prompt_token" { return prompt }
        if name.hasPrefix("proj_net.") {
            let parts = name.split(separator: "."), idx = Int(parts[1])!, layer = spaceLayers[idx / 3]
            let isBias = parts[2] == "bias"
            return idx % 3 == 0 ? (isBias ? layer.bias : layer.weight) : (isBias ? layer.norm.bias : layer.norm.weight)
        }
        switch name {
        case "pe_proj.weight": return peProjWeight
        case "pe_proj.bias": return peProjBias
        case "decoder_conv2.weight": return decoder!.weight
        case "decoder_conv2.bias": return decoder!.bias
        case "decoder_norm2.weight": return decoder!.norm.weight
        case "decoder_norm2.bias": return decoder!.norm.bias
        default: preconditionFailure("no rectifier parameter \(name)")
        }
    }

    /// Replaces a learnable tensor by name.
    public mutating func setParameter(_ name: String, _ v: [Float]) {
        if name == "text_encoder.prompt_token" { prompt = v; return }
        if name.hasPrefix("proj_net.") {
            let parts = name.split(separator: "."), idx = Int(parts[1])!, i = idx / 3
            let isBias = parts[2] == "bias"
            if idx % 3 == 0 {
                if isBias { spaceLayers[i].bias = v } else { spaceLayers[i].weight = v }
            } else {
                if isBias { spaceLayers[i].norm.bias = v } else { spaceLayers[i].norm.weight = v }
            }
            return
        }
        switch name {
        case "pe_proj.weight": peProjWeight = v
        case "pe_proj.bias": peProjBias = v
        case "decoder_conv2.weight": decoder!.weight = v
        case "decoder_conv2.bias": decoder!.bias = v
        case "decoder_norm2.weight": decoder!.norm.weight = v
        case "decoder_norm2.bias": decoder!.norm.bias = v
        default: preconditionFailure("no rectifier parameter \(name)")
        }
    }
}

/// Unsupervised training of a rectifier (METHOD.md section 6, the authors' model.py training
/// branch): per image, the rectified logits (x1000 ReCLIP, x100 ReCLIP++) go through a hard
/// Gumbel-softmax over classes per pixel; each pseudo-labelled class's mask pools the
/// normalised features; logit_scale.exp() * pooled @ T^T is scored by cross-entropy against the
/// class's own index; the loss is the sum over images of their mean, divided by the batch size.
/// BatchNorm runs in training mode (batch statistics, running statistics updated).
/// CLIP is frozen; gradients reach the prompt through the whole text transformer.
public struct RectifierTrainer: Sendable {
    public var rectifier: Rectifier
    public let tower: TextTransformer
    /// Text classifier T `[K, D]`.
    public let classifier: [Float]
    /// Three tokens per class (`referenceNameTokens`).
    public let nameTokens: [[Int]]
    /// Resized positional embeddings `[Cv, P]` on the training grid.
    public let positional: [Float]
    public let gridHeight: Int, gridWidth: Int
    /// CLIP's logit_scale.exp().
    public let logitScale: Float
    public var settings: TrainingSettings
    /// SGD momentum buffers by parameter name (empty before the first step).
    public var velocity: [String: [Float]] = [:]

    public init(rectifier: Rectifier, tower: TextTransformer, classifier: [Float], nameTokens: [[Int]],
                positional: [Float], gridHeight: Int, gridWidth: Int, logitScale: Float,
                settings: TrainingSettings = TrainingSettings()) {
        self.rectifier = rectifier; self.tower = tower; self.classifier = classifier; self.nameTokens = nameTokens
        self.positional = positional; self.gridHeight = gridHeight; self.gridWidth = gridWidth
        self.logitScale = logitScale; self.settings = settings
    }

    /// Gumbel noise for one image, pixel-major `[P, K]`.
    public func noiseCount() -> Int { gridHeight * gridWidth * rectifier.classCount }

    /// Loss and gradients (by parameter name) for a batch, with Gumbel noise per image `[P, K]`.
    /// BatchNorm running statistics of `rectifier` are updated as in a PyTorch training step.
    public mutating func lossAndGradients(batch: [TrainingImage], noise: [[Float]]) -> (loss: Float, gradients: [String: [Float]]) {
        var r = rectifier
        let K = r.classCount, P = gridHeight * gridWidth, h = gridHeight, w = gridWidth
        let D = tower.embedDim, Cv = positional.count / P, B = batch.count
        var grads: [String: [Float]] = [:]
        for n in r.parameterNames { grads[n] = [Float](repeating: 0, count: r.parameter(n).count) }

        // Reference embeddings R = Ru / |Ru|_F.
        let seq = r.referenceSequences(nameTokens: nameTokens, tower: tower)
        let run = tower.forward(embeddings: seq.embeddings, sequences: K, length: r.promptLength + 4, readAt: seq.readAt)
        let ref = l2NormalizeForward(run.output, N: 1, C: K * D)
        let R = ref.y
        var dR = [Float](repeating: 0, count: K * D)

        // Image-independent bias parts.
        struct SpaceCache { var input: [Float]; var pre: [Float]; var mean: [Float]; var rstd: [Float]; var out: [Float] }
        var space: [SpaceCache] = []
        var spc = [Float](), e = [Float](), biasPP = [Float]()
        switch r.variant {
        case .reclip:
            var x = positional
            for i in r.spaceLayers.indices {
                let l = r.spaceLayers[i]
                let c = conv2dForward(x, weight: l.weight, bias: l.bias, C: l.inChannels, H: h, W: w,
                                      OC: l.outChannels, kernel: l.kernel, padding: l.padding)
                let bn = batchNormTrainForward(c, &r.spaceLayers[i].norm, N: 1, C: l.outChannels, S: P)
                let a = reluForward(bn.y)
                space.append(SpaceCache(input: x, pre: c, mean: bn.mean, rstd: bn.rstd, out: a))
                x = a
            }
            spc = x
        case .reclipPlusPlus:
            e = conv2dForward(positional, weight: r.peProjWeight, bias: r.peProjBias, C: Cv, H: h, W: w, OC: D,
                              kernel: 1, padding: 0)
            biasPP = matrixProduct(R, e, M: K, K: D, N: P)
        }

        // Per-image logits (ReCLIP++: decoder with batch statistics over the batch).
        var outputs: [[Float]] = []
        var decInputs: [[Float]] = [], decPre = [Float](), decMean = [Float](), decRstd = [Float]()
        for img in batch {
            let raw = BiasMaps.rawLogits(features: img.features, classifier: classifier, K: K, D: D, P: P)
            switch r.variant {
            case .reclip:
                let cls = BiasMaps.rawLogits(features: img.features, classifier: R, K: K, D: D, P: P)
                outputs.append((0..<(K * P)).map { raw[$0] - (cls[$0] + spc[$0]) })
            case .reclipPlusPlus:
                let rect = (0..<(K * P)).map { raw[$0] - biasPP[$0] }
                let input = img.features + rect
                let dec = r.decoder!
                decInputs.append(input)
                decPre += conv2dForward(input, weight: dec.weight, bias: dec.bias, C: D + K, H: h, W: w, OC: K,
                                        kernel: dec.kernel, padding: dec.padding)
            }
        }
        if r.variant == .reclipPlusPlus {
            let bn = batchNormTrainForward(decPre, &r.decoder!.norm, N: B, C: K, S: P)
            decMean = bn.mean; decRstd = bn.rstd
            for b in 0..<B { outputs.append(Array(bn.y[(b * K * P)..<((b + 1) * K * P)])) }
        }

        // Loss and its gradient with respect to each image's output logits.
        let scale = r.variant.gumbelScale
        var loss: Float = 0
        var doutputs = [[Float]](repeating: [Float](repeating: 0, count: K * P), count: B)
        for (b, img) in batch.enumerated() where !img.pseudoLabels.isEmpty {
            var z = [Float](repeating: 0, count: P * K)
            for k in 0..<K { for p in 0..<P { z[p * K + k] = outputs[b][k * P + p] * scale } }
            let g = gumbelSoftmaxHardForward(z, noise: noise[b], tau: 1, N: P, K: K)
            let labels = img.pseudoLabels, J = labels.count
            var masks = [Float](repeating: 0, count: J * P)
            for (j, c) in labels.enumerated() { for p in 0..<P { masks[j * P + p] = g.hard[p * K + c] } }
            let pooled = maskPoolForward(features: img.features, masks: masks, D: D, P: P, J: J)
            var sim = matrixProduct(pooled, classifier, M: J, K: D, N: K, transposeB: true)
            for i in 0..<sim.count { sim[i] *= logitScale }
            let ce = crossEntropyForward(sim, targets: labels, N: J, K: K)
            loss += ce.loss / Float(B)
            let dsim = crossEntropyBackward(probs: ce.probs, targets: labels, N: J, K: K, dloss: 1 / Float(B))
            var dpooled = matrixProduct(dsim, classifier, M: J, K: K, N: D)
            for i in 0..<dpooled.count { dpooled[i] *= logitScale }
            var dmasks = [Float](repeating: 0, count: J * P)
            maskPoolBackward(dpooled: dpooled, features: img.features, dmasks: &dmasks, D: D, P: P, J: J)
            var dhard = [Float](repeating: 0, count: P * K)
            for (j, c) in labels.enumerated() { for p in 0..<P { dhard[p * K + c] += dmasks[j * P + p] } }
            var dz = [Float](repeating: 0, count: P * K)
            gumbelSoftmaxHardBackward(dy: dhard, soft: g.soft, tau: 1, dz: &dz, N: P, K: K)
            for k in 0..<K { for p in 0..<P { doutputs[b][k * P + p] = dz[p * K + k] * scale } }
        }

        switch r.variant {
        case .reclip:
            // output = raw - R f - spc
            var dspc = [Float](repeating: 0, count: K * P)
            for (b, img) in batch.enumerated() {
                let d = doutputs[b]
                for i in 0..<d.count { dspc[i] -= d[i] }
                let g = matrixProduct(d, img.features, M: K, K: P, N: D, transposeB: true)
                for i in 0..<dR.count { dR[i] -= g[i] }
            }
            var dx = dspc
            for i in r.spaceLayers.indices.reversed() {
                let l = r.spaceLayers[i], c = space[i]
                var dbn = [Float](repeating: 0, count: c.out.count)
                reluBackward(dy: dx, y: c.out, dx: &dbn)
                var dpre = [Float](repeating: 0, count: c.pre.count)
                var dgamma = [Float](repeating: 0, count: l.outChannels), dbeta = dgamma
                batchNormTrainBackward(dy: dbn, x: c.pre, mean: c.mean, rstd: c.rstd, weight: l.norm.weight,
                                       dx: &dpre, dweight: &dgamma, dbias: &dbeta, N: 1, C: l.outChannels, S: P)
                var dinp: [Float]? = i > 0 ? [Float](repeating: 0, count: c.input.count) : nil
                var dwt = [Float](repeating: 0, count: l.weight.count)
                var dbs: [Float]? = [Float](repeating: 0, count: l.outChannels)
                conv2dBackward(dout: dpre, inp: c.input, weight: l.weight, dinp: &dinp, dweight: &dwt, dbias: &dbs,
                               C: l.inChannels, H: h, W: w, OC: l.outChannels, kernel: l.kernel, padding: l.padding)
                grads["proj_net.\(3 * i).weight"] = dwt
                grads["proj_net.\(3 * i).bias"] = dbs!
                grads["proj_net.\(3 * i + 1).weight"] = dgamma
                grads["proj_net.\(3 * i + 1).bias"] = dbeta
                dx = dinp ?? []
            }
        case .reclipPlusPlus:
            let dec = r.decoder!
            var dpre = [Float](repeating: 0, count: B * K * P)
            var dgamma = [Float](repeating: 0, count: K), dbeta = dgamma
            batchNormTrainBackward(dy: doutputs.flatMap { $0 }, x: decPre, mean: decMean, rstd: decRstd,
                                   weight: dec.norm.weight, dx: &dpre, dweight: &dgamma, dbias: &dbeta, N: B, C: K, S: P)
            var dwt = [Float](repeating: 0, count: dec.weight.count)
            var dbs: [Float]? = [Float](repeating: 0, count: K)
            var dbiasPP = [Float](repeating: 0, count: K * P)
            for b in 0..<B {
                var dinp: [Float]? = [Float](repeating: 0, count: (D + K) * P)
                conv2dBackward(dout: Array(dpre[(b * K * P)..<((b + 1) * K * P)]), inp: decInputs[b], weight: dec.weight,
                               dinp: &dinp, dweight: &dwt, dbias: &dbs, C: D + K, H: h, W: w, OC: K,
                               kernel: dec.kernel, padding: dec.padding)
                for i in 0..<(K * P) { dbiasPP[i] -= dinp![D * P + i] }   // rect = raw - bias
            }
            grads["decoder_conv2.weight"] = dwt; grads["decoder_conv2.bias"] = dbs!
            grads["decoder_norm2.weight"] = dgamma; grads["decoder_norm2.bias"] = dbeta
            // bias = R e:  dR = dbias e^T,  de = R^T dbias
            let g = matrixProduct(dbiasPP, e, M: K, K: P, N: D, transposeB: true)
            for i in 0..<dR.count { dR[i] += g[i] }
            let de = matrixProduct(R, dbiasPP, M: D, K: K, N: P, transposeA: true)
            var noInput: [Float]? = nil
            var dpw = [Float](repeating: 0, count: r.peProjWeight.count)
            var dpb: [Float]? = [Float](repeating: 0, count: D)
            conv2dBackward(dout: de, inp: positional, weight: r.peProjWeight, dinp: &noInput, dweight: &dpw, dbias: &dpb,
                           C: Cv, H: h, W: w, OC: D, kernel: 1, padding: 0)
            grads["pe_proj.weight"] = dpw; grads["pe_proj.bias"] = dpb!
        }

        // Through the Frobenius normalisation and the text transformer into the prompt.
        var dRu = [Float](repeating: 0, count: K * D)
        l2NormalizeBackward(dy: dR, y: R, norms: ref.norms, dx: &dRu, N: 1, C: K * D)
        let dEmb = tower.backward(run, dout: dRu)
        let W = tower.width, T = r.promptLength + 4, L = r.promptLength
        var dPrompt = [Float](repeating: 0, count: L * W)
        for k in 0..<K { for i in 0..<(L * W) { dPrompt[i] += dEmb[(k * T + 1) * W + i] } }
        grads["text_encoder.prompt_token"] = dPrompt

        // `r` differs from `rectifier` only by the updated BatchNorm running statistics.
        rectifier = r
        return (loss, grads)
    }

    /// One SGD step (`SGDMomentum`, PyTorch's semantics). Returns the loss before the update.
    @discardableResult
    public mutating func step(batch: [TrainingImage], noise: [[Float]], learningRate lr: Float) -> Float {
        let (loss, grads) = lossAndGradients(batch: batch, noise: noise)
        let sgd = SGDMomentum(momentum: settings.momentum, weightDecay: settings.weightDecay)
        for name in rectifier.parameterNames {
            var p = rectifier.parameter(name)
            sgd.update(&p, grad: grads[name]!, velocity: &velocity[name], lr: lr)
            rectifier.setParameter(name, p)
        }
        return loss
    }
}
