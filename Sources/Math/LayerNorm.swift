/// LayerNorm over the last dimension, per row r of `inp` [rows, channels]:
/// mean = (1/C) Σ_c x[c]
/// rstd = 1 / sqrt((1/C) Σ_c (x[c] - mean)² + eps)
/// out[c] = (x[c] - mean) * rstd * weight[c] + bias[c]
/// `mean` and `rstd` ([rows] each), when given, receive the statistics the backward pass needs.
/// `out` may be `inp` (in place).
public func layerNormForward(out: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
                             inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, rows: Int, channels: Int, eps: Float) {
    parallelRanges(rows, minimumCount: 64) { range in
        for r in range {
            let x = inp + r * channels
            let y = out + r * channels
            var sum: Float = 0
            for c in 0..<channels { sum += x[c] }
            let m = sum / Float(channels)
            var variance: Float = 0
            for c in 0..<channels {
                let d = x[c] - m
                variance += d * d
            }
            let s = 1 / (variance / Float(channels) + eps).squareRoot()
            for c in 0..<channels { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
            mean?[r] = m
            rstd?[r] = s
        }
    }
}
