import XCTest
import TestSupport
@testable import Math

final class ResizeTests: XCTestCase {
    func testBicubicAndBilinearMatchPyTorch() {
        for c in KernelFixture.list("resize") {
            let (ch, ih, iw, oh, ow) = (c.int("channels"), c.int("inHeight"), c.int("inWidth"),
                                        c.int("outHeight"), c.int("outWidth"))
            let label = "\(ih)x\(iw) -> \(oh)x\(ow)"
            var out = [Float](repeating: .nan, count: ch * oh * ow)
            bicubicResizeForward(out: &out, inp: c.floats("x"), channels: ch, inHeight: ih, inWidth: iw,
                                 outHeight: oh, outWidth: ow)
            assertClose(out, c.floats("bicubic"), tolerance: 1e-5, "bicubic " + label)
            bilinearResizeForward(out: &out, inp: c.floats("x"), channels: ch, inHeight: ih, inWidth: iw,
                                  outHeight: oh, outWidth: ow)
            assertClose(out, c.floats("bilinear"), tolerance: 1e-5, "bilinear " + label)
        }
    }

    func testAntialiasedResizeIsBitExactWithPIL() {
        for c in KernelFixture.list("antialiasedResize") {
            let (iw, ih, ow, oh) = (c.int("inWidth"), c.int("inHeight"), c.int("outWidth"), c.int("outHeight"))
            let out = antialiasedResize(c.bytes("pixels"), channels: 3, inWidth: iw, inHeight: ih,
                                        outWidth: ow, outHeight: oh)
            XCTAssertEqual(out, c.bytes("out"), "\(iw)x\(ih) -> \(ow)x\(oh)")
        }
    }
}
