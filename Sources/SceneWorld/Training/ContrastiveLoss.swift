import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

/// CLIP's symmetric contrastive loss over a batch of B matching (image, text) pairs.
///
///   i = img / |img|, t = txt / |txt|, logits[a, b] = exp(s) * i_a . t_b
///   loss = ( CE(logits, diag) + CE(logits^T, diag) ) / 2
enum ContrastiveLoss {
    /// Loss, the gradients with respect to both embeddings and the log temperature `s`, and
    /// the fraction of rows whose arg-max is the matching pair (image to text).
    static func forwardBackward(image: [Float], text: [Float], logScale: Float, batch B: Int, dim E: Int)
        -> (loss: Float, dimage: [Float], dtext: [Float], dlogScale: Float, accuracy: Float) {
        let ni = l2NormalizeForward(image, N: B, C: E), nt = l2NormalizeForward(text, N: B, C: E)
        let scale = expf(logScale)
        var logits = matrixProduct(ni.y, nt.y, M: B, K: E, N: B, transposeB: true)
        for i in 0..<logits.count { logits[i] *= scale }
        let targets = Array(0..<B)
        let rows = crossEntropyForward(logits, targets: targets, N: B, K: B)
        let columnsLogits = transposed(logits, rows: B, columns: B)
        let columns = crossEntropyForward(columnsLogits, targets: targets, N: B, K: B)
        let drows = crossEntropyBackward(probs: rows.probs, targets: targets, N: B, K: B, dloss: 0.5)
        let dcolumns = transposed(crossEntropyBackward(probs: columns.probs, targets: targets, N: B, K: B, dloss: 0.5), rows: B, columns: B)
        var dlogits = drows
        var dlogScale: Float = 0
        for i in 0..<dlogits.count { dlogits[i] += dcolumns[i]; dlogScale += dlogits[i] * logits[i] }
        // logits = scale * I T^T: dI = scale * dlogits T, dT = scale * dlogits^T I.
        for i in 0..<dlogits.count { dlogits[i] *= scale }
        let dni = matrixProduct(dlogits, nt.y, M: B, K: B, N: E)
        let dnt = matrixProduct(dlogits, ni.y, M: B, K: B, N: E, transposeA: true)
        var dimage = [Float](repeating: 0, count: B * E), dtext = [Float](repeating: 0, count: B * E)
        l2NormalizeBackward(dy: dni, y: ni.y, norms: ni.norms, dx: &dimage, N: B, C: E)
        l2NormalizeBackward(dy: dnt, y: nt.y, norms: nt.norms, dx: &dtext, N: B, C: E)
        var correct = 0
        for a in 0..<B {
            var best = 0
            for b in 1..<B where logits[a * B + b] > logits[a * B + best] { best = b }
            if best == a { correct += 1 }
        }
        return ((rows.loss + columns.loss) / 2, dimage, dtext, dlogScale, Float(correct) / Float(B))
    }
}

extension MiniCLIP {
    /// One forward and backward pass over a batch: the loss, accuracy and all gradients.
    func lossAndGradients(pixels: [Float], tokens: [Int32], batch B: Int)
        -> (loss: Float, accuracy: Float, grads: ParameterSet) {
        let image = imageForward(pixels, batch: B)
        let text = textForward(tokens, batch: B)
        let logScale = parameters["logit_scale"][0]
        let r = ContrastiveLoss.forwardBackward(image: image.embedding, text: text.embedding, logScale: logScale,
                                                batch: B, dim: config.embedDim)
        var grads = parameters.zeros()
        imageBackward(r.dimage, image.cache, batch: B, grads: &grads)
        textBackward(r.dtext, text.cache, batch: B, grads: &grads)
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
