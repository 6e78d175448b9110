import Math

/// Why token ids could not be encoded.
public struct TextEncodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension CLIPModel {
    /// Text embeddings [n, D] (not normalised) of tokenised prompts, one row per prompt.
    ///
    /// token embedding + positional embedding, causal pre-LN blocks, ln_final, the state at the
    /// end-of-text token (the arg-max token id of each row), text projection. Because attention is
    /// causal, only the first max(EOT position) + 1 tokens of the batch are run: the result is
    /// identical to running all `contextLength` tokens.
    public func encodeText(tokens: [[Int32]]) throws -> Tensor {
        let arch = architecture
        let w = arch.textWidth
        guard !tokens.isEmpty else { return Tensor(zeros: [0, arch.embedDim]) }
        var eot: [Int] = []
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
            eot.append(best)
        }
        let t = eot.max()! + 1
        var x = [Float](repeating: 0, count: tokens.count * t * w)
        text.tokenEmbedding.withUnsafeBufferPointer { table in
            for (b, row) in tokens.enumerated() {
                for i in 0..<t {
                    let id = i < row.count ? Int(row[i]) : 0
                    for c in 0..<w { x[(b * t + i) * w + c] = table[id * w + c] }
                }
            }
        }
        return encodeText(tokenEmbeddings: Tensor(shape: [tokens.count, t, w], data: x), readAt: eot)
    }

    /// Text embeddings [n, D] from token embeddings [n, T, W] given directly (for learned
    /// prompts): positional embedding added, causal blocks, ln_final at position `readAt[i]` of
    /// row i, text projection.
    public func encodeText(tokenEmbeddings: Tensor, readAt: [Int]) -> Tensor {
        let arch = architecture
        precondition(tokenEmbeddings.rank == 3 && tokenEmbeddings.shape[2] == arch.textWidth,
                     "token embeddings must be [n, T, \(arch.textWidth)], got \(tokenEmbeddings.shape)")
        let (n, t, w) = (tokenEmbeddings.shape[0], tokenEmbeddings.shape[1], arch.textWidth)
        precondition(t <= arch.contextLength, "\(t) tokens exceed the context length \(arch.contextLength)")
        precondition(readAt.count == n && readAt.allSatisfy { (0..<t).contains($0) }, "read positions out of range")
        var x = tokenEmbeddings.data
        let hidden = text.blocks.first?.fc1.outFeatures ?? 4 * w
        let workspace = TransformerWorkspace(rows: n * t, width: w, hiddenWidth: hidden)
        var pooled = [Float](repeating: 0, count: n * w)
        var out = [Float](repeating: 0, count: n * arch.embedDim)
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            text.positionalEmbedding.withUnsafeBufferPointer { pos in
                for b in 0..<n {
                    residualForward(out: xp + b * t * w, a: xp + b * t * w, b: pos.baseAddress!, count: t * w)
                }
            }
            for block in text.blocks {
                block.forward(x: xp, batch: n, tokens: t, heads: arch.textHeads, causal: true,
                              activation: arch.activation, eps: arch.layerNormEps, workspace: workspace)
            }
            // LayerNorm is per token, so normalising only the read-out rows is exact.
            for (b, p) in readAt.enumerated() {
                for c in 0..<w { pooled[b * w + c] = xp[(b * t + p) * w + c] }
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
