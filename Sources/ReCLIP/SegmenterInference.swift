import Pixels
import Foundation
import Math
import CLIP

/// How logits are computed beyond one forward of the whole image: sliding windows
/// (SCLIP's and NACLIP's `forward_slide`) and PAMR (their `pamr.py`). Neither is on by default.
public struct InferenceOptions: Sendable, Equatable {
    /// Crops and stride in pixels of the network input, or nil for one whole-image forward.
    public var window: SlidingWindow?
    /// PAMR steps (0: off; the repositories use 10).
    public var pamrSteps: Int
    /// PAMR dilations (the repositories': 8 and 16).
    public var pamrDilations: [Int]
    /// The most pixels PAMR refines at (`refinementSize`): an image with more is refined at the
    /// largest size of its shape within this, which bounds PAMR's time and memory before it
    /// starts (a 4000 x 2667 photograph took 50 s and 7 GB at its own size). Nothing finer is
    /// lost: the kernel's colours come from the network input, resized back.
    public var pamrMaxPixels: Int

    /// The default `pamrMaxPixels`: a square of `defaultPAMRMaxSide`.
    public static let defaultPAMRMaxPixels = defaultPAMRMaxSide * defaultPAMRMaxSide
    /// 1024 pixels.
    public static let defaultPAMRMaxSide = 1024

    /// The PAMR step counts accepted.
    public static let pamrStepsRange = 0...50

    public init(window: SlidingWindow? = nil, pamrSteps: Int = 0, pamrDilations: [Int] = [8, 16],
                pamrMaxPixels: Int = InferenceOptions.defaultPAMRMaxPixels) {
        precondition(Self.pamrStepsRange.contains(pamrSteps), "PAMR steps \(pamrSteps) outside \(Self.pamrStepsRange)")
        precondition(pamrMaxPixels >= 1, "PAMR's pixel bound must be positive")
        self.window = window
        self.pamrSteps = pamrSteps
        self.pamrDilations = pamrDilations
        self.pamrMaxPixels = pamrMaxPixels
    }

    /// The size PAMR refines an image of `width` x `height` at: its own when it has at most
    /// `pamrMaxPixels`, else both sides scaled by the same factor (rounded down, at least 1) to
    /// fit; a side held at 1 leaves the other what fits beside it.
    public func refinementSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard width * height > pamrMaxPixels else { return (width, height) }
        let scale = (Double(pamrMaxPixels) / (Double(width) * Double(height))).squareRoot()
        var (w, h) = (max(1, Int(Double(width) * scale)), max(1, Int(Double(height) * scale)))
        if w * h > pamrMaxPixels {   // only when a side was held at 1
            if h == 1 { w = max(1, pamrMaxPixels) } else { h = max(1, pamrMaxPixels / w) }
        }
        return (w, h)
    }

    /// True for one whole-image forward and no refinement: the maps stay on the patch grid.
    public var isPlain: Bool { window == nil && pamrSteps == 0 }

    /// "whole image", "window 224:112", "whole image, PAMR 10", ...
    public var description: String {
        (window.map { "window \($0)" } ?? "whole image") + (pamrSteps > 0 ? ", PAMR \(pamrSteps)" : "")
    }
}

/// A segmentation problem for the person at the keyboard (an image too small for the head).
public struct SegmenterError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One segmenter's maps for one image, and the wall seconds they took as if computed alone.
public struct HeadMaps: Sendable {
    public let maps: SegmentationMaps
    public let seconds: Double
}

extension Segmenter {
    /// Refuses an input the head cannot see: the repositories' heads cut the image to whole
    /// patches, so it must hold at least one.
    static func checkHoldsAPatch(_ input: Tensor, head: DenseHead, model: CLIPModel) throws {
        let p = model.architecture.patchSize
        let (h, w) = (input.shape[1], input.shape[2])
        if !head.padsToPatchMultiple && (h < p || w < p) {
            throw SegmenterError("a \(w)x\(h) input holds no whole \(p)-pixel patch for \(head.rawValue): use a larger --size")
        }
    }

    /// Segments with `options`: whole-image maps on the patch grid when `options.isPlain`;
    /// with a window, maps at the network input's size (each crop's maps resized to the crop,
    /// averaged over the crops); with PAMR, maps at the image's own size (resized bilinearly,
    /// then refined with the network input resized back to the image, as SCLIP and NACLIP do).
    public func segment(_ image: RGBImage, size: Int, options: InferenceOptions, imageLogits: Bool = false,
                        name: String = "image") throws -> SegmentationMaps {
        var maps = try Self.segment([self], image: image, size: size, options: options, name: name)[0].maps
        if imageLogits && rectifies { maps.imageLogits = model.zeroShotLogits(image, classifier: classifier) }
        return maps
    }

    /// Several segmenters of one model on one image: each distinct head's features computed
    /// once, the heads that reach the last block alike sharing blocks 0..L-2, and the PAMR
    /// kernel built once. Returns each segmenter's maps in order, with the seconds it would
    /// have taken alone (its head's share of the forward, its maps, windows and PAMR).
    /// Images whose patch grid would exceed `TokenBudget.maxPatches` are refused before any
    /// work (`name` labels the error).
    public static func segment(_ segmenters: [Segmenter], image: RGBImage, size: Int,
                               options: InferenceOptions, name: String = "image") throws -> [HeadMaps] {
        guard let model = segmenters.first?.model else { return [] }
        try TokenBudget.check(width: image.width, height: image.height, shortSide: size,
                              patch: model.architecture.patchSize, name: name)
        let input = ImagePreprocessing.denseInput(image, shortSide: size)
        let (H, W) = (input.shape[1], input.shape[2])
        var heads: [DenseHead] = []
        for s in segmenters where !heads.contains(s.head) { heads.append(s.head) }
        for head in heads { try checkHoldsAPatch(input, head: head, model: model) }
        let positional = segmenters.contains { $0.rectifier != nil }
        var seconds = [Double](repeating: 0, count: segmenters.count)
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        func gridMaps(_ s: Segmenter, _ dense: DenseFeatures) -> SegmentationMaps {
            s.maps(features: normalizedChannelMajor(dense.features), positional: dense.positionalEmbedding?.data,
                   gridHeight: dense.gridHeight, gridWidth: dense.gridWidth, classToken: dense.classToken?.data)
        }

        var result: [SegmentationMaps]
        if let window = options.window {
            let p = model.architecture.patchSize
            guard window.crop >= p else {
                throw SegmenterError("window \(window): the crop is smaller than one \(p)-pixel patch")
            }
            let windows = window.windows(height: H, width: W)
            var sums: [[Float]] = Array(repeating: [], count: segmenters.count)
            var templates: [SegmentationMaps?] = Array(repeating: nil, count: segmenters.count)
            for w in windows {
                // Heads whose crop input is the same (ClearCLIP pads crops that are not whole patches).
                var crops: [(crop: WindowCrop, heads: [DenseHead])] = []
                for head in heads {
                    let crop = WindowCrop(image: input, window: w, head: head, patch: p)
                    if let i = crops.firstIndex(where: { $0.crop.input.shape == crop.input.shape && $0.crop.top == crop.top
                                                         && $0.crop.left == crop.left }) {
                        crops[i].heads.append(head)
                    } else {
                        crops.append((crop, [head]))
                    }
                }
                for (crop, group) in crops {
                    let f = model.denseFeatures(crop.input, heads: group, includePositionalEmbedding: positional)
                    for (i, s) in segmenters.enumerated() where group.contains(s.head) {
                        let start = now()
                        let m = gridMaps(s, f[s.head])
                        let channels = m.presentMaps.count * m.classCount
                        let sized = crop.cropSized(m.stacked, channels: channels, gridHeight: m.gridHeight,
                                                   gridWidth: m.gridWidth)
                        if sums[i].isEmpty { sums[i] = [Float](repeating: 0, count: channels * H * W) }
                        for c in 0..<channels {
                            for y in 0..<w.height {
                                let src = (c * w.height + y) * w.width, dst = (c * H + w.y1 + y) * W + w.x1
                                for x in 0..<w.width { sums[i][dst + x] += sized[src + x] }
                            }
                        }
                        templates[i] = m
                        seconds[i] += f.seconds[s.head]! + Double(now() - start) / 1e9
                    }
                }
            }
            let count = window.coverage(height: H, width: W)
            result = []
            for i in segmenters.indices {
                let start = now()
                let plane = H * W
                for c in 0..<(sums[i].count / plane) { for q in 0..<plane { sums[i][c * plane + q] /= count[q] } }
                result.append(SegmentationMaps(stacked: sums[i], like: templates[i]!, width: W, height: H))
                seconds[i] += Double(now() - start) / 1e9
            }
        } else {
            let f = model.denseFeatures(input, heads: heads, includePositionalEmbedding: positional)
            result = segmenters.enumerated().map { i, s in
                let start = now()
                let m = gridMaps(s, f[s.head])
                seconds[i] += f.seconds[s.head]! + Double(now() - start) / 1e9
                return m
            }
        }

        if options.pamrSteps > 0 {
            let start = now()
            let (w0, h0) = options.refinementSize(width: image.width, height: image.height)
            let kernel = pamrKernel(input: input, width: w0, height: h0, dilations: options.pamrDilations)
            let kernelSeconds = Double(now() - start) / 1e9
            for i in result.indices {
                let t = now()
                result[i] = result[i].resized(width: w0, height: h0)
                    .refined(by: kernel, steps: options.pamrSteps)
                seconds[i] += kernelSeconds + Double(now() - t) / 1e9
            }
        }
        return zip(result, seconds).map { HeadMaps(maps: $0, seconds: $1) }
    }

    /// The PAMR kernel of an image: the network input (normalised, [3, H', W']) resized back
    /// bilinearly to the size it is refined at (the image's own, as SCLIP and NACLIP pass it,
    /// up to `InferenceOptions.pamrMaxPixels`).
    static func pamrKernel(input: Tensor, width w0: Int, height h0: Int, dilations: [Int]) -> PAMRKernel {
        let (H, W) = (input.shape[1], input.shape[2])
        var back = [Float](repeating: 0, count: 3 * h0 * w0)
        input.data.withUnsafeBufferPointer { src in
            bilinearResizeForward(out: &back, inp: src.baseAddress!, channels: 3, inHeight: H, inWidth: W,
                                  outHeight: h0, outWidth: w0)
        }
        return PAMRKernel(image: Tensor(shape: [3, h0, w0], data: back), dilations: dilations)
    }

    /// `maps` (from `segment(_:size:)` or a window) refined with `steps` PAMR steps at the
    /// image's own size (at most `maxPixels`, `InferenceOptions.refinementSize`): resized
    /// bilinearly to it, then refined with the network input of `size` resized back (what
    /// `segment(_:size:options:)` does after the forward).
    public func refined(_ maps: SegmentationMaps, image: RGBImage, size: Int, steps: Int,
                        dilations: [Int] = [8, 16],
                        maxPixels: Int = InferenceOptions.defaultPAMRMaxPixels) -> SegmentationMaps {
        let options = InferenceOptions(pamrSteps: steps, pamrDilations: dilations, pamrMaxPixels: maxPixels)
        let (w0, h0) = options.refinementSize(width: image.width, height: image.height)
        let input = ImagePreprocessing.denseInput(image, shortSide: size)
        let kernel = Self.pamrKernel(input: input, width: w0, height: h0, dilations: dilations)
        return maps.resized(width: w0, height: h0).refined(by: kernel, steps: steps)
    }
}
