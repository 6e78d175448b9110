import Math
import FileIO
import ModelFiles

/// Why token ids could not be encoded.
public struct TextEncodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension CLIPModel {
    /// Text embeddings [n, D] (not normalised) of tokenised prompts, one row per prompt.
    ///
    /// token embedding + positional embedding, causal pre-LN blocks, ln_final, the state at the
    /// end-of-text token (the arg-max token id of each row), text projection. Because attention is
    /// causal, each prompt is run only up to its end-of-text token (the prompts packed one after
    /// another, without padding): the result is identical to running all `contextLength` tokens.
    public func encodeText(tokens: [[Int32]]) throws -> Tensor {
        let arch = architecture
        let w = arch.textWidth
        var lengths: [Int] = []
        for (i, row) in tokens.enumerated() {
            guard !row.isEmpty, row.count <= arch.contextLength else {
                throw TextEncodingError(description: "prompt \(i) has \(row.count) tokens; expected 1...\(arch.contextLength)")
            }
            if let bad = row.first(where: { $0 < 0 || Int($0) >= arch.vocabularySize }) {
                throw TextEncodingError(description: "prompt \(i) has token id \(bad) outside the vocabulary 0..<\(arch.vocabularySize)")
            }
            // The first position of the largest id (the end-of-text token), as torch.argmax.
            var best = 0
            for j in row.indices where row[j] > row[best] { best = j }
            lengths.append(best + 1)
        }
        var x = [Float](repeating: 0, count: lengths.reduce(0, +) * w)
        var row = 0
        text.tokenEmbedding.withUnsafeBufferPointer { table in
            for (b, ids) in tokens.enumerated() {
                for i in 0..<lengths[b] {
                    let id = Int(ids[i])
                    for c in 0..<w { x[row * w + c] = table[id * w + c] }
                    row += 1
                }
            }
        }
        return runText(&x, sequenceLengths: lengths, readAt: lengths.map { $0 - 1 })
    }

    /// Text embeddings [n, D] from token embeddings [n, T, W] given directly (for learned
    /// prompts): positional embedding added, causal blocks, ln_final at position `readAt[i]` of
    /// row i, text projection.
    public func encodeText(tokenEmbeddings: Tensor, readAt: [Int]) -> Tensor {
        let arch = architecture
        precondition(tokenEmbeddings.rank == 3 && tokenEmbeddings.shape[2] == arch.textWidth,
                     "token embeddings must be [n, T, \(arch.textWidth)], got \(tokenEmbeddings.shape)")
        let (n, t) = (tokenEmbeddings.shape[0], tokenEmbeddings.shape[1])
        precondition(t <= arch.contextLength, "\(t) tokens exceed the context length \(arch.contextLength)")
        precondition(readAt.count == n && readAt.allSatisfy { (0..<t).contains($0) }, "read positions out of range")
        var x = tokenEmbeddings.data
        return runText(&x, sequenceLengths: [Int](repeating: t, count: n), readAt: readAt)
    }

    /// Runs the text transformer on token embeddings `x` of sequences packed one after another
    /// ([Σ L_i, W]) and returns the projected, ln_final-normalised states at position
    /// `readAt[i]` of each sequence.
    func runText(_ x: inout [Float], sequenceLengths: [Int], readAt: [Int]) -> Tensor {
        let arch = architecture
        let (n, w) = (sequenceLengths.count, arch.textWidth)
        guard n > 0 else { return Tensor(zeros: [0, arch.embedDim]) }
        let rows = sequenceLengths.reduce(0, +)
        let hidden = text.blocks.first?.fc1.outFeatures ?? 4 * w
        let workspace = TransformerWorkspace(rows: rows, width: w, hiddenWidth: hidden)
        var pooled = [Float](repeating: 0, count: n * w)
        var out = [Float](repeating: 0, count: n * arch.embedDim)
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            var start = 0
            text.positionalEmbedding.withUnsafeBufferPointer { pos in
                for length in sequenceLengths {
                    residualForward(out: xp + start * w, a: xp + start * w, b: pos.baseAddress!, count: length * w)
                    start += length
                }
            }
            for block in text.blocks {
                block.forward(x: xp, sequenceLengths: sequenceLengths, heads: arch.textHeads, causal: true,
                              activation: arch.activation, eps: arch.layerNormEps, workspace: workspace)
            }
            // LayerNorm is per token, so normalising only the read-out rows is exact.
            start = 0
            for (b, length) in sequenceLengths.enumerated() {
                let r = start + readAt[b]
                for c in 0..<w { pooled[b * w + c] = xp[r * w + c] }
                start += length
            }
        }
        pooled.withUnsafeMutableBufferPointer { p in
            text.lnFinal.forward(out: p.baseAddress!, inp: p.baseAddress!, rows: n, eps: arch.layerNormEps)
            out.withUnsafeMutableBufferPointer { o in
                text.projection.forward(out: o.baseAddress!, inp: p.baseAddress!, rows: n)
            }
        }
        return Tensor(shape: [n, arch.embedDim], data: out)
    }
}
