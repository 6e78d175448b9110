/// Patch embedding of a ViT, a convolution with stride = kernel = P and no bias, computed as
/// one matrix multiply. The image `inp` is channel-major [C, H, W]; the grid is
/// gh = ceil(H / P) by gw = ceil(W / P), pixels beyond the image read as zero (right/bottom
/// zero padding to the patch multiple).
///
/// patches[gy*gw + gx, (c*P + ky)*P + kx] = inp[c, gy*P + ky, gx*P + kx]     (im2col)
/// out[p, o] = Σ_j patches[p, j] * weight[o, j]     (weight [O, C, P, P] = [O, C*P*P])
///
/// `patches` is scratch of gh*gw*C*P*P floats (kept for the backward pass); `out` is [gh*gw, O].
public func patchEmbeddingForward(out: UnsafeMutablePointer<Float>, patches: UnsafeMutablePointer<Float>,
                                  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  channels: Int, height: Int, width: Int, patch: Int,
                                  outChannels: Int) {
    let gh = (height + patch - 1) / patch
    let gw = (width + patch - 1) / patch
    let row = channels * patch * patch
    for gy in 0..<gh {
        for gx in 0..<gw {
            let dst = patches + (gy * gw + gx) * row
            for c in 0..<channels {
                for ky in 0..<patch {
                    let y = gy * patch + ky
                    let d = dst + (c * patch + ky) * patch
                    for kx in 0..<patch {
                        let x = gx * patch + kx
                        d[kx] = (y < height && x < width) ? inp[(c * height + y) * width + x] : 0
                    }
                }
            }
        }
    }
    matmulForward(out: out, inp: patches, weight: weight, bias: nil,
                  rows: gh * gw, inFeatures: row, outFeatures: outChannels)
}
