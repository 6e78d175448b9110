import FuzzSupport
import Pixels
import Render

// JPEG decoding as every image reader does it: `ImageFile.decode` with its default pixel limit
// (libjpeg-turbo behind the setjmp guard of CJPEGShim, the scan limit, CMYK and greyscale
// conversion, the EXIF orientation parser and the rotations), once in full and once asking
// for a reduced decode, as the explorer does. libjpeg itself is not instrumented: coverage
// guides through our code (the shim included) only.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let name = "fuzz.jpg"
    func check(_ image: RGBImage) {
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
                     "\(image.width)x\(image.height) image with \(image.pixels.count) samples")
    }
    expectingErrors(naming: name) {
        let full = try ImageFile.decode(bytes, name: name)
        check(full)
        let reduced = try ImageFile.decode(bytes, name: name) { w, h in (max(1, w / 5), max(1, h / 5)) }
        check(reduced)
        precondition(reduced.width <= full.width && reduced.height <= full.height,
                     "reduced \(reduced.width)x\(reduced.height) from \(full.width)x\(full.height)")
    }
    _ = ExifOrientation(jpeg: bytes)
    return 0
}

runFuzzer(fuzzJPEG)
