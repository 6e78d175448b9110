import FuzzSupport
import Pixels
import ReCLIP
import Render

// VOC class masks: `PNGCodec.decodeIndexed` (palette indices kept, 8-bit grey as indices,
// anything else refused), then what the commands do with a mask: `ClassMask` and its class
// shares, the overlay drawn over an image of another size (nearest-neighbour sampling and
// boundaries), a confusion matrix against a prediction both ways VOC counts it, and the
// expansion to colour. A decoded mask must also survive being written and read back.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMask(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let name = "fuzz-mask.png"
    expectingErrors(naming: name) {
        let indexed = try PNGCodec.decodeIndexed(bytes, name: name)
        precondition(indexed.indices.count == indexed.width * indexed.height && indexed.palette.count <= 256,
                     "\(indexed.width)x\(indexed.height) with \(indexed.indices.count) indices, \(indexed.palette.count) colours")
        let mask = ClassMask(indexed)
        let shares = mask.shares(classCount: 21)
        precondition(shares.allSatisfy { $0 >= 0 && $0 <= 1 }, "shares \(shares)")
        var canvas = RGBImage(width: 7, height: 5)
        MaskOverlay(palette: ClassPalette.voc(), opacity: 0.5, boundaryColor: RGB(255, 255, 255)).draw(mask, onto: &canvas)
        let prediction = mask.labels.map { Int32(max(0, $0) % 20) }
        for reduce in [false, true] {
            var matrix = ConfusionMatrix(classCount: 20)
            matrix.add(prediction: prediction, groundTruth: indexed.indices, reduceZeroLabel: reduce)
            _ = matrix.meanIoU
        }
        _ = indexed.expanded()
        guard !indexed.palette.isEmpty else { return }
        let again = try PNGCodec.decodeIndexed(try PNGCodec.encode(indexed, name: name), name: name)
        precondition(again.width == indexed.width && again.height == indexed.height && again.indices == indexed.indices,
                     "indices changed on the way through PNG")
        precondition(Array(again.palette.prefix(indexed.palette.count)) == indexed.palette, "palette changed on the way through PNG")
    }
    return 0
}

runFuzzer(fuzzMask)
