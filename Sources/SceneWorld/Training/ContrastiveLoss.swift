import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// CLIP's symmetric contrastive loss over a batch of B matching (image, text) pairs, with N
/// optional hard-negative captions that only the image side sees (NegCLIP's form).
///
///   i = img / |img|, t = txt / |txt|   (t: the B matching captions, then the N negatives)
///   logits[a, b] = exp(s) * i_a . t_b  for b < B + N
///   loss = ( CE(logits[a, 0 ..< B+N], a) + CE(logits[0 ..< B, b]^T, b) ) / 2
///
/// Each image picks its caption among all B + N; each matching caption picks its image among
/// the B images (a negative caption has no image to pick).
enum ContrastiveLoss {
    /// Loss, the gradients with respect to both embeddings (`dtext` for all B + N captions) and
    /// the log temperature `s`, and the fraction of images whose arg-max is their own caption.
    static func forwardBackward(image: [Float], text: [Float], logScale: Float, batch B: Int, negatives N: Int = 0, dim E: Int)
        -> (loss: Float, dimage: [Float], dtext: [Float], dlogScale: Float, accuracy: Float) {
        precondition(image.count == B * E && text.count == (B + N) * E, "contrastive loss: embedding sizes")
        let T = B + N
        let ni = l2NormalizeForward(image, N: B, C: E), nt = l2NormalizeForward(text, N: T, C: E)
        let scale = expf(logScale)
        var logits = matrixProduct(ni.y, nt.y, M: B, K: E, N: T, transposeB: true)   // [B, T]
        for i in 0..<logits.count { logits[i] *= scale }
        let targets = Array(0..<B)
        let rows = crossEntropyForward(logits, targets: targets, N: B, K: T)
        var square = [Float](repeating: 0, count: B * B)                                // the matching captions' columns
        for a in 0..<B { for b in 0..<B { square[a * B + b] = logits[a * T + b] } }
        let columns = crossEntropyForward(transposed(square, rows: B, columns: B), targets: targets, N: B, K: B)
        var dlogits = crossEntropyBackward(probs: rows.probs, targets: targets, N: B, K: T, dloss: 0.5)
        let dcolumns = transposed(crossEntropyBackward(probs: columns.probs, targets: targets, N: B, K: B, dloss: 0.5), rows: B, columns: B)
        for a in 0..<B { for b in 0..<B { dlogits[a * T + b] += dcolumns[a * B + b] } }
        var dlogScale: Float = 0
        for i in 0..<dlogits.count { dlogScale += dlogits[i] * logits[i] }
        // logits = scale * I T^T: dI = scale * dlogits T, dT = scale * dlogits^T I.
        for i in 0..<dlogits.count { dlogits[i] *= scale }
        let dni = matrixProduct(dlogits, nt.y, M: B, K: T, N: E)
        let dnt = matrixProduct(dlogits, ni.y, M: T, K: B, N: E, transposeA: true)
        var dimage = [Float](repeating: 0, count: B * E), dtext = [Float](repeating: 0, count: T * E)
        l2NormalizeBackward(dy: dni, y: ni.y, norms: ni.norms, dx: &dimage, N: B, C: E)
        l2NormalizeBackward(dy: dnt, y: nt.y, norms: nt.norms, dx: &dtext, N: T, C: E)
        var correct = 0
        for a in 0..<B {
            var best = 0
            for b in 1..<T where logits[a * T + b] > logits[a * T + best] { best = b }
            if best == a { correct += 1 }
        }
        return ((rows.loss + columns.loss) / 2, dimage, dtext, dlogScale, Float(correct) / Float(B))
    }
}

extension MiniCLIP {
    /// One forward and backward pass over a batch: the loss, accuracy and all gradients.
    /// `negatives` holds the tokens [N, L] of hard-negative captions (none by default).
    func lossAndGradients(pixels: [Float], tokens: [Int32], negatives: [Int32] = [], batch B: Int)
        -> (loss: Float, accuracy: Float, grads: ParameterSet) {
        let N = negatives.count / config.contextLength
        let image = imageForward(pixels, batch: B)
        let text = textForward(tokens + negatives, batch: B + N)
        let logScale = parameters["logit_scale"][0]
        let r = ContrastiveLoss.forwardBackward(image: image.embedding, text: text.embedding, logScale: logScale,
                                                batch: B, negatives: N, dim: config.embedDim)
        var grads = parameters.zeros()
        imageBackward(r.dimage, image.cache, batch: B, grads: &grads)
        textBackward(r.dtext, text.cache, batch: B + N, grads: &grads)
        grads.values[grads.index("logit_scale")][0] += r.dlogScale
        return (r.loss, r.accuracy, grads)
    }
}

/// The transpose of a row-major [rows, columns] matrix.
func transposed(_ m: [Float], rows: Int, columns: Int) -> [Float] {
    var t = [Float](repeating: 0, count: m.count)
    for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = m[r * columns + c] } }
    return t
}
