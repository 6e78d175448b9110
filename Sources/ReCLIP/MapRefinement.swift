import Foundation
import Math
import CLIP

extension SegmentationMaps {
    /// The maps present (raw first, then class bias, space bias, bias, decoder base and
    /// slope), each `[K, h, w]`.
    var presentMaps: [[Float]] { [raw, classBias, spaceBias, bias, decoderBase, decoderSlope].compactMap { $0 } }

    /// The bytes the maps hold (the image logits aside): what a cache of maps counts.
    public var byteCount: Int { presentMaps.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.size }

    /// Every map through `transform` (from `[K, gridHeight, gridWidth]` to `[K, height, width]`),
    /// keeping which maps are present, what made them and the image-level logits. Every map goes the same way,
    /// so a linear transform keeps `rectified(alpha:)` = raw - alpha * bias exact.
    public func mapped(width: Int, height: Int, _ transform: ([Float]) -> [Float]) -> SegmentationMaps {
        func f(_ m: [Float]?) -> [Float]? { m.map(transform) }
        var out = SegmentationMaps(classNames: classNames, gridWidth: width, gridHeight: height, raw: transform(raw),
                                   classBias: f(classBias), spaceBias: f(spaceBias), bias: f(bias),
                                   decoderBase: f(decoderBase), decoderSlope: f(decoderSlope))
        out.imageLogits = imageLogits
        out.rectification = rectification
        out.classesWithoutSpaceBias = classesWithoutSpaceBias
        return out
    }

    /// The maps resized bilinearly (align_corners False) to `width` x `height`.
    public func resized(width: Int, height: Int) -> SegmentationMaps {
        if width == gridWidth && height == gridHeight { return self }
        let (K, h, w) = (classCount, gridHeight, gridWidth)
        return mapped(width: width, height: height) { m in
            var out = [Float](repeating: 0, count: K * width * height)
            m.withUnsafeBufferPointer { src in
                bilinearResizeForward(out: &out, inp: src.baseAddress!, channels: K, inHeight: h, inWidth: w,
                                      outHeight: height, outWidth: width)
            }
            return out
        }
    }

    /// The maps after `steps` PAMR steps with `kernel` (built on an image of the maps' size).
    /// PAMR is linear, so refining raw and bias separately refines raw - alpha * bias.
    public func refined(by kernel: PAMRKernel, steps: Int) -> SegmentationMaps {
        precondition(kernel.width == gridWidth && kernel.height == gridHeight,
                     "PAMR kernel is \(kernel.width)x\(kernel.height), the maps \(gridWidth)x\(gridHeight)")
        return mapped(width: gridWidth, height: gridHeight) { kernel.refine($0, steps: steps) }
    }

    /// All present maps one after another, `[M·K, h, w]`, for code that treats them alike.
    var stacked: [Float] { presentMaps.flatMap { $0 } }

    /// Maps like `template`'s (the same ones present, the same classes) from `stacked` data at
    /// `width` x `height`.
    init(stacked data: [Float], like template: SegmentationMaps, width: Int, height: Int) {
        let n = template.classCount * width * height
        var i = 0
        func next(_ present: Bool) -> [Float]? {
            guard present else { return nil }
            defer { i += 1 }
            return Array(data[(i * n)..<((i + 1) * n)])
        }
        let raw = next(true)!
        self.init(classNames: template.classNames, gridWidth: width, gridHeight: height, raw: raw,
                  classBias: next(template.classBias != nil), spaceBias: next(template.spaceBias != nil),
                  bias: next(template.bias != nil), decoderBase: next(template.decoderBase != nil),
                  decoderSlope: next(template.decoderSlope != nil))
        imageLogits = template.imageLogits
        rectification = template.rectification
        classesWithoutSpaceBias = template.classesWithoutSpaceBias
    }
}
