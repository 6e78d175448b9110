import FuzzSupport
import Pixels
import Render

// JPEG decoding as every image reader does it: `ImageFile.decode` (libjpeg-turbo behind the
// setjmp guard of CJPEGShim, the scan limit, CMYK and greyscale conversion, the EXIF
// orientation parser and the rotations), once in full and once asking for a reduced decode, as
// the explorer does. libjpeg itself is not instrumented: coverage guides through our code (the
// shim included) only. The pixel limit is 1 megapixel instead of the default 100: a 400-byte
// header declaring a 56000x255 frame decodes in 0.06 s in a release build but for over 10 s
// under ASan, and the EXIF rotation of a 4-megapixel image (0.25 s in release) took over 15 s
// with every pixel's comparison traced for coverage; both stopped 10-minute runs as "timeouts"
// without finding anything. The limit's own check is the same code at any value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let name = "fuzz.jpg"
    let maximumPixels = 1_000_000
    func check(_ image: RGBImage) {
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
                     "\(image.width)x\(image.height) image with \(image.pixels.count) samples")
    }
    expectingErrors(naming: name) {
        let full = try ImageFile.decode(bytes, name: name, maxPixels: maximumPixels)
        check(full)
        let reduced = try ImageFile.decode(bytes, name: name, maxPixels: maximumPixels) { w, h in (max(1, w / 5), max(1, h / 5)) }
        check(reduced)
        precondition(reduced.width <= full.width && reduced.height <= full.height,
                     "reduced \(reduced.width)x\(reduced.height) from \(full.width)x\(full.height)")
    }
    _ = ExifOrientation(jpeg: bytes)
    return 0
}

runFuzzer(fuzzJPEG)
