import XCTest
import TestSupport
@testable import Math

final class ElementwiseKernelTests: XCTestCase {
    func testLinearMatchesPyTorch() {
        let c = KernelFixture.dictionary("linear")
        let (rows, inF, outF) = (c.int("rows"), c.int("inFeatures"), c.int("outFeatures"))
        var out = [Float](repeating: .nan, count: rows * outF)
        var outNoBias = out
        matmulForward(out: &out, inp: c.floats("x"), weight: c.floats("w"), bias: c.floats("b"),
                      rows: rows, inFeatures: inF, outFeatures: outF)
        matmulForward(out: &outNoBias, inp: c.floats("x"), weight: c.floats("w"), bias: nil,
                      rows: rows, inFeatures: inF, outFeatures: outF)
        assertClose(out, c.floats("out"), tolerance: 1e-5)
        assertClose(outNoBias, c.floats("outNoBias"), tolerance: 1e-5)
    }

    func testLayerNormMatchesPyTorchAndKeepsStatistics() {
        let c = KernelFixture.dictionary("layerNorm")
        let (rows, ch) = (c.int("rows"), c.int("channels"))
        var out = [Float](repeating: .nan, count: rows * ch)
        var mean = [Float](repeating: .nan, count: rows)
        var rstd = mean
        layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: c.floats("x"), weight: c.floats("w"),
                         bias: c.floats("b"), rows: rows, channels: ch, eps: c.float("eps"))
        assertClose(out, c.floats("out"), tolerance: 1e-5)
        assertClose(mean, c.floats("mean"), tolerance: 1e-5)
        assertClose(rstd, c.floats("rstd"), tolerance: 1e-5)
    }

    func testSoftmaxMatchesPyTorch() {
        let c = KernelFixture.dictionary("softmax")
        var x = c.floats("x")
        softmaxForward(out: &x, inp: x, rows: c.int("rows"), columns: c.int("columns"))
        assertClose(x, c.floats("out"), tolerance: 1e-6)
    }

    func testActivationsMatchPyTorch() {
        let g = KernelFixture.dictionary("gelu")
        var out = [Float](repeating: .nan, count: g.floats("x").count)
        geluForward(out: &out, inp: g.floats("x"), count: out.count)
        assertClose(out, g.floats("out"), tolerance: 1e-5)
        let q = KernelFixture.dictionary("quickGELU")
        quickGELUForward(out: &out, inp: q.floats("x"), count: out.count)
        assertClose(out, q.floats("out"), tolerance: 1e-5)
    }

    func testPatchEmbeddingPadsAndMatchesConvolution() {
        let c = KernelFixture.dictionary("patchEmbedding")
        let (h, w, p, o) = (c.int("height"), c.int("width"), c.int("patch"), c.int("outChannels"))
        let grid = ((h + p - 1) / p) * ((w + p - 1) / p)
        var patches = [Float](repeating: .nan, count: grid * 3 * p * p)
        var out = [Float](repeating: .nan, count: grid * o)
        patchEmbeddingForward(out: &out, patches: &patches, inp: c.floats("image"), weight: c.floats("w"),
                              channels: c.int("channels"), height: h, width: w, patch: p, outChannels: o)
        assertClose(out, c.floats("out"), tolerance: 1e-4)
    }
}
