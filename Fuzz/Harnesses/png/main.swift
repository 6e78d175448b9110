import FuzzSupport
import Pixels
import Render

// PNG decoding as every image reader does it: `ImageFile.decode` with its default pixel limit
// (libpng's simplified API, the 16-bit path and its colour-space chunk scan), then the
// image's invariants. libpng itself is not instrumented: coverage guides through our code
// only, and ASan sees libpng's memory through its interceptors alone.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let name = "fuzz.png"
    expectingErrors(naming: name) {
        let image = try ImageFile.decode(bytes, name: name)
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
                     "\(image.width)x\(image.height) image with \(image.pixels.count) samples")
    }
    return 0
}

runFuzzer(fuzzPNG)
