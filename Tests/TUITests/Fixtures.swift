import Pixels
import Foundation
import Render
@testable import TUI
import Datasets
import CLIP
import ReCLIP

/// Small, hand-made inputs for the explorer's tests.
enum Fixture {
    static let classes = ["sky", "cat", "grass"]

    /// A 4x1 feature grid: columns 0-1 are "sky" and 2-3 "grass" in the raw logits, with
    /// values symmetric about each boundary so that bilinear upsampling puts the boundaries at
    /// exact quarters of the width. The sky bias (class 0.05 everywhere, space 0 / 0.1 / 0.1 /
    /// 0.1) drops sky below "cat" (0.2 everywhere) in column 1 at alpha 1, so the rectified mask
    /// is sky | cat | grass grass: shares 25% / 25% / 50% against 50% / 0% / 50% raw.
    static var maps: SegmentationMaps {
        let w = 4, h = 1, plane = w * h
        let raw: [Float] = [0.30, 0.30, 0.10, 0.10,   0.20, 0.20, 0.20, 0.20,   0.10, 0.10, 0.30, 0.30]
        let cls: [Float] = [0.05, 0.05, 0.05, 0.05] + [Float](repeating: 0, count: 2 * plane)
        let spc: [Float] = [0.00, 0.10, 0.10, 0.10] + [Float](repeating: 0, count: 2 * plane)
        let bias = zip(cls, spc).map { $0 + $1 }
        return SegmentationMaps(classNames: classes, gridWidth: w, gridHeight: h, raw: raw,
                                classBias: cls, spaceBias: spc, bias: bias)
    }

    /// The same raw logits without a trained rectifier.
    static var rawOnlyMaps: SegmentationMaps {
        let m = maps
        return SegmentationMaps(classNames: m.classNames, gridWidth: m.gridWidth, gridHeight: m.gridHeight, raw: m.raw)
    }

    /// A 40x20 picture: blue on the left half, green on the right.
    static var picture: RGBImage {
        RGBImage(width: 40, height: 20, colors: (0..<800).map { $0 % 40 < 20 ? RGB(40, 80, 220) : RGB(30, 160, 40) })
    }

    /// Ground truth matching the raw mask: sky on the left half, grass on the right.
    static var truth: ClassMask {
        ClassMask(width: 40, height: 20, labels: (0..<800).map { $0 % 40 < 20 ? Int32(0) : Int32(2) })
    }

    static let model = ModelInfo(name: "test-model", variant: "ReCLIP", hasRectifier: true)

    static func entries(_ n: Int) -> [ImageEntry] {
        (0..<n).map { ImageEntry(url: URL(fileURLWithPath: "/images/img\($0).png")) }
    }

    /// A state with `n` images, the first decoded and (with a model) segmented.
    static func state(images n: Int = 3, model: ModelInfo? = Fixture.model, maps: SegmentationMaps? = Fixture.maps,
                      truth: ClassMask? = nil, width: Int = 122, height: Int = 40) -> ExplorerState {
        var s = ExplorerState(entries: entries(n), classes: classes, model: model, width: width, height: height)
        s.pictures[0] = picture
        if let truth {
            s.groundTruths[0] = truth
            s.entries[0] = ImageEntry(url: s.entries[0].url, groundTruth: URL(fileURLWithPath: "/images/img0.mask.png"))
        }
        if model != nil, let maps { s.segmentations[0] = .done(maps, seconds: 0.25) }
        return s
    }
}

extension ExplorerState {
    /// The state after pressing `keys` in order (effects dropped).
    func pressing(_ keys: Key...) -> ExplorerState {
        keys.reduce(self) { $0.applying(.key($1)).0 }
    }
    func typing(_ text: String) -> ExplorerState {
        text.reduce(self) { $0.applying(.key(.character($1))).0 }
    }
}
