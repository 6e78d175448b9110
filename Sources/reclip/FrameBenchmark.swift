import Pixels
import Foundation
import Datasets
import TUI
import ReCLIP

/// The whole explorer frame for one alpha step, as `reclip bench alpha` reports it: a state
/// with a 448x336 photo, maps on a 28x28 grid for `classes` classes and a rectifier, drawn at
/// 200x60 in the cells (`ExplorerFrame.grid` through one `FrameCache`, which keeps the
/// resampled photo and the masks from frame to frame, as `Terminal.draw` keeps them), for the
/// compare, bias and overlay views; alpha climbs 0.1 a step from 0 to 3, so that every frame
/// shows a rectified mask no earlier frame computed (the raw one is kept, as in the explorer).
enum FrameBenchmark {
    /// Median milliseconds of one frame in `view`, over `repeats` alpha steps.
    static func milliseconds(classes K: Int, view: ExplorerView, repeats: Int = 30) -> Double {
        var state = benchState(classes: K)
        state.view = view
        let cache = FrameCache()
        _ = ExplorerFrame(state: state, cache: cache).grid   // the first frame is not an alpha step
        var times: [Double] = []
        state.alpha = 0
        _ = ExplorerFrame(state: state, cache: cache).grid
        for i in 1...repeats {
            state.alpha = Float(i) / 10
            let start = DispatchTime.now().uptimeNanoseconds
            _ = ExplorerFrame(state: state, cache: cache).grid
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[times.count / 2]
    }

    /// A deterministic explorer state with everything computed.
    static func benchState(classes K: Int) -> ExplorerState {
        let (gw, gh) = (28, 28), n = K * gw * gh
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(seed >> 40) / Float(1 << 24) - 0.5
        }
        let raw = (0..<n).map { _ in 0.2 + 0.1 * next() }
        let cls = (0..<n).map { _ in 0.02 * next() }, spc = (0..<n).map { _ in 0.02 * next() }
        let maps = SegmentationMaps(classNames: (0..<K).map { "class \($0)" }, gridWidth: gw, gridHeight: gh, raw: raw,
                                    classBias: cls, spaceBias: spc, bias: zip(cls, spc).map { $0 + $1 })
        let (w, h) = (448, 336)
        let photo = RGBImage(width: w, height: h, colors: (0..<(w * h)).map { i in
            RGB(UInt8(i % w * 255 / w), UInt8(i / w * 255 / h), UInt8((i * 7) & 255))
        })
        var state = ExplorerState(entries: [ImageEntry(url: URL(fileURLWithPath: "/bench/scene.png"), fromWorld: false)],
                                  classes: maps.classNames, model: ModelInfo(name: "bench", variant: "ReCLIP", hasRectifier: true),
                                  width: 200, height: 60)
        state.pictures[0] = photo
        state.segmentations[0] = .done(maps, seconds: 0.1)
        return state
    }
}
