// 2-D convolution of one channel-major image, stride 1, zero padding, square kernel.
//
// Sizes: input [C, H, W], weight [OC, C, k, k] (PyTorch layout), bias [OC] (optional),
// output [OC, OH, OW] with OH = H + 2p - k + 1, OW = W + 2p - k + 1.
// Both passes go through an im2col matrix cols[C*k*k, OH*OW] so the work is one GEMM.

/// Output size of a stride-1 convolution along one axis.
@inlinable public func conv2dOutputSize(_ size: Int, kernel: Int, padding: Int) -> Int {
    size + 2 * padding - kernel + 1
}

/// im2col: cols[(c*k + i)*k + j, y*OW + x] = inp[c, y + i - p, x + j - p] (0 outside).
func conv2dIm2col(_ inp: [Float], C: Int, H: Int, W: Int, kernel k: Int, padding p: Int) -> [Float] {
    let OH = conv2dOutputSize(H, kernel: k, padding: p), OW = conv2dOutputSize(W, kernel: k, padding: p)
    var cols = [Float](repeating: 0, count: C * k * k * OH * OW)
    cols.withUnsafeMutableBufferPointer { c in
        inp.withUnsafeBufferPointer { x in
            for ch in 0..<C { for i in 0..<k { for j in 0..<k {
                let row = ((ch * k + i) * k + j) * OH * OW
                for y in 0..<OH {
                    let sy = y + i - p
                    if sy < 0 || sy >= H { continue }
                    for xo in 0..<OW {
                        let sx = xo + j - p
                        if sx < 0 || sx >= W { continue }
                        c[row + y * OW + xo] = x[(ch * H + sy) * W + sx]
                    }
                }
            } } }
        }
    }
    return cols
}

/// col2im, the adjoint of im2col: dinp[c, y+i-p, x+j-p] += dcols[(c*k+i)*k+j, y*OW+x].
func conv2dCol2im(_ dcols: [Float], into dinp: inout [Float], C: Int, H: Int, W: Int, kernel k: Int, padding p: Int) {
    let OH = conv2dOutputSize(H, kernel: k, padding: p), OW = conv2dOutputSize(W, kernel: k, padding: p)
    dinp.withUnsafeMutableBufferPointer { d in
        dcols.withUnsafeBufferPointer { c in
            for ch in 0..<C { for i in 0..<k { for j in 0..<k {
                let row = ((ch * k + i) * k + j) * OH * OW
                for y in 0..<OH {
                    let sy = y + i - p
                    if sy < 0 || sy >= H { continue }
                    for xo in 0..<OW {
                        let sx = xo + j - p
                        if sx < 0 || sx >= W { continue }
                        d[(ch * H + sy) * W + sx] += c[row + y * OW + xo]
                    }
                }
            } } }
        }
    }
}

// Forward:
//   out[o, y, x] = b[o] + sum_{c,i,j} w[o, c, i, j] * inp[c, y+i-p, x+j-p]
//   i.e. out[OC, OH*OW] = w[OC, C*k*k] @ cols[C*k*k, OH*OW] + b
/// Stride-1 zero-padded convolution of a `[C, H, W]` image; returns `[OC, OH, OW]`.
public func conv2dForward(_ inp: [Float], weight: [Float], bias: [Float]?, C: Int, H: Int, W: Int,
                          OC: Int, kernel k: Int, padding p: Int) -> [Float] {
    precondition(inp.count == C * H * W && weight.count == OC * C * k * k)
    let OH = conv2dOutputSize(H, kernel: k, padding: p), OW = conv2dOutputSize(W, kernel: k, padding: p)
    let n = OH * OW, kk = C * k * k
    let cols = (k == 1 && p == 0) ? inp : conv2dIm2col(inp, C: C, H: H, W: W, kernel: k, padding: p)
    var out = [Float](repeating: 0, count: OC * n)
    if let bias {
        for o in 0..<OC { for q in 0..<n { out[o * n + q] = bias[o] } }
    }
    gemm(transposeA: false, transposeB: false, m: OC, n: n, k: kk, a: weight, lda: kk, b: cols, ldb: n,
         beta: 1, c: &out, ldc: n)
    return out
}

// Backward (gradients accumulate into dinp, dweight, dbias):
//   dw[OC, C*k*k] += dout[OC, n] @ cols^T
//   db[o]         += sum_q dout[o, q]
//   dcols         =  w^T @ dout,  dinp += col2im(dcols)
/// Gradients of `conv2dForward`; pass `dinp: nil` when the input needs no gradient.
public func conv2dBackward(dout: [Float], inp: [Float], weight: [Float],
                           dinp: inout [Float]?, dweight: inout [Float], dbias: inout [Float]?,
                           C: Int, H: Int, W: Int, OC: Int, kernel k: Int, padding p: Int) {
    let OH = conv2dOutputSize(H, kernel: k, padding: p), OW = conv2dOutputSize(W, kernel: k, padding: p)
    let n = OH * OW, kk = C * k * k
    precondition(dout.count == OC * n && dweight.count == OC * kk)
    let cols = (k == 1 && p == 0) ? inp : conv2dIm2col(inp, C: C, H: H, W: W, kernel: k, padding: p)
    gemm(transposeA: false, transposeB: true, m: OC, n: kk, k: n, a: dout, lda: n, b: cols, ldb: n,
         beta: 1, c: &dweight, ldc: kk)
    if dbias != nil {
        for o in 0..<OC {
            var s: Float = 0
            for q in 0..<n { s += dout[o * n + q] }
            dbias![o] += s
        }
    }
    if dinp != nil {
        var dcols = [Float](repeating: 0, count: kk * n)
        gemm(transposeA: true, transposeB: false, m: kk, n: n, k: OC, a: weight, lda: kk, b: dout, ldb: n,
             c: &dcols, ldc: n)
        if k == 1 && p == 0 {
            for i in 0..<dcols.count { dinp![i] += dcols[i] }
        } else {
            conv2dCol2im(dcols, into: &dinp!, C: C, H: H, W: W, kernel: k, padding: p)
        }
    }
}
