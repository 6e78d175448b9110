/// Per-channel sums, in Double, over channel-major arrays: each array holds `channels` rows of
/// its own number of positions ([C, P] flattened, as a dense feature map or a decoder's output
/// is stored). The one place the pooled statistics of many images are added up: a site's mean
/// feature (`SiteShift`), its decoder statistics (`DecoderStatistics`) and its decoder mean
/// (`DecoderMeanAdaptation`).
public struct ChannelSums: Sendable, Equatable {
    /// sum over every position of every array, per channel.
    public private(set) var sums: [Double]
    /// sum of squares, per channel (only when asked for: empty otherwise).
    public private(set) var squares: [Double]
    /// The number of positions added, over all arrays.
    public private(set) var positions: Int

    /// Adds up `arrays`; each one's length must be a multiple of `channels`.
    public init(_ arrays: [[Float]], channels C: Int, squares withSquares: Bool = false) {
        precondition(C > 0, "channel sums of at least one channel")
        var s = [Double](repeating: 0, count: C), q = [Double](repeating: 0, count: withSquares ? C : 0), n = 0
        for a in arrays {
            precondition(a.count % C == 0, "an array of \(a.count) values for \(C) channels")
            let P = a.count / C
            a.withUnsafeBufferPointer { a in
                for c in 0..<C {
                    var sc = 0.0, qc = 0.0
                    for p in 0..<P { let v = Double(a[c * P + p]); sc += v; qc += v * v }
                    s[c] += sc
                    if withSquares { q[c] += qc }
                }
            }
            n += P
        }
        sums = s; squares = q; positions = n
    }

    /// The sums of several sets pooled into one, added in their order (so pooling the sums of
    /// each array equals adding up the arrays at once, to the bit); all of `channels` channels,
    /// with squares only if every part has them.
    public init(pooling parts: [ChannelSums], channels C: Int) {
        precondition(C > 0 && parts.allSatisfy { $0.sums.count == C }, "sums of \(C) channels")
        let withSquares = !parts.isEmpty && parts.allSatisfy { $0.squares.count == C }
        var s = [Double](repeating: 0, count: C), q = [Double](repeating: 0, count: withSquares ? C : 0), n = 0
        for part in parts {
            for c in 0..<C { s[c] += part.sums[c] }
            if withSquares { for c in 0..<C { q[c] += part.squares[c] } }
            n += part.positions
        }
        sums = s; squares = q; positions = n
    }

    /// The per-channel mean: sums / positions (positions must be at least one).
    public var means: [Double] {
        precondition(positions > 0, "a mean of at least one position")
        return sums.map { $0 / Double(positions) }
    }

    /// The per-channel unbiased variance, (sum y^2 - n mean^2) / (n - 1), clamped at zero;
    /// needs squares and at least two positions.
    public var unbiasedVariances: [Double] {
        precondition(squares.count == sums.count && positions >= 2, "a variance of two positions, with squares")
        let n = Double(positions)
        return zip(sums, squares).map { s, q in max(0, (q - s * s / n) / (n - 1)) }
    }
}
