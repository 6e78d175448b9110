import Pixels
import Render
import FileIO
import CLIP
import ReCLIP

/// What one panel of a view shows: a caption and its pixels, or a message where the picture
/// would be (no model, still computing, no rectifier).
public struct PanelContent: Sendable {
    public var caption: String
    /// The panel's pixel grid (Render's pixels: `CellCanvas.cells` turns it into cells).
    public var pixels: RGBImage?
    public var message: String?
}

/// The pictures of the current view composed at a given pixel size through Render (the
/// resampler, `MaskOverlay`, `Heatmap`, `DifferenceView`): at panel size for the screen and at
/// the image's own size when saving. Nothing here draws pixels itself.
struct ViewPanels {
    let state: ExplorerState
    let palette: [RGB]

    init(state: ExplorerState) {
        self.state = state
        palette = ClassPalette.forClasses(state.classes)
    }

    /// Class colours of the ground truth (the dataset's classes, which may differ from the engine's).
    var truthPalette: [RGB] { state.groundTruthClasses.map(ClassPalette.forClasses) ?? palette }

    /// The panels of `state.view`, each `width` x `height` pixels; `photo` is the current image
    /// already at that size (the caller may cache it: it does not change with alpha).
    func panels(width: Int, height: Int, photo: RGBImage? = nil) -> [PanelContent] {
        guard width > 0, height > 0 else { return [] }
        let count = state.view.panelCount(groundTruth: state.currentEntry?.groundTruth != nil)
        guard let original = state.currentPicture else {
            let why = state.imageErrors[state.selected] ?? (state.entries.isEmpty ? "no images" : "loading...")
            return (0..<count).map { _ in PanelContent(caption: "", pixels: nil, message: why) }
        }
        let image = photo ?? AreaResampler.resample(original, width: width, height: height)
        let maps = state.currentMaps
        switch state.view {
        case .dataset:
            return []   // drawn as text and bars, not pictures (DatasetViewDrawing)
        case .compare:
            var out = [PanelContent(caption: "image", pixels: image, message: nil)]
            if state.currentEntry?.groundTruth != nil {
                out.append(groundTruthPanel(over: image, opacity: 1)
                           ?? PanelContent(caption: "ground truth", pixels: nil, message: "loading..."))
            }
            guard let maps else {
                out += [PanelContent(caption: "raw CLIP", pixels: nil, message: waitingMessage),
                        PanelContent(caption: "rectified", pixels: nil, message: waitingMessage)]
                return out
            }
            let raw = mask(maps, alpha: 0, width, height)
            let rect = mask(maps, alpha: state.shownAlpha, width, height)
            let rawScore = score(maps: maps, alpha: 0).map { "  mIoU " + Format.percent($0) } ?? ""
            let rectScore = score(maps: maps, alpha: state.shownAlpha).map { "  mIoU " + Format.percent($0) } ?? ""
            var rectCaption = maps.hasBias ? "rectified (alpha \(Format.alpha(state.shownAlpha)))"
                : (state.model?.hasRectifier ?? false) ? "not rectified: ReCLIP++ serves only its own classes" : "rectified: no rectifier"
            if maps.hasBias && !maps.classesWithoutSpaceBias.isEmpty {
                rectCaption += "; class bias only: " + maps.classesWithoutSpaceBias.joined(separator: ", ")
            }   // (also in the status line, which has the room a narrow caption lacks)
            out += [PanelContent(caption: "raw CLIP" + rawScore, pixels: painted(raw, over: image, opacity: 1), message: nil),
                    PanelContent(caption: rectCaption + rectScore, pixels: painted(rect, over: image, opacity: 1), message: nil)]
            return out
        case .bias:
            guard let maps else {
                return [PanelContent(caption: "class bias", pixels: nil, message: waitingMessage),
                        PanelContent(caption: "space bias", pixels: nil, message: waitingMessage)]
            }
            guard let cls = maps.classBias, let spc = maps.spaceBias, maps.classCount > 0 else {
                let why = "no trained rectifier: no bias maps"
                return [PanelContent(caption: "class bias", pixels: nil, message: why),
                        PanelContent(caption: "space bias", pixels: nil, message: why)]
            }
            let k = min(state.focusClass, maps.classCount - 1)
            let name = maps.classNames[k]
            let range = biasRange(maps)
            return [
                PanelContent(caption: "class bias: \(name)", pixels: heat(plane(cls, k, maps), maps, range, width, height), message: nil),
                PanelContent(caption: "space bias: \(name)", pixels: heat(plane(spc, k, maps), maps, range, width, height), message: nil),
            ]
        case .difference:
            guard let maps else {
                var dimmed = image
                DifferenceView(palette: palette).dim(&dimmed)
                return [PanelContent(caption: "difference", pixels: dimmed, message: waitingMessage)]
            }
            var out = image
            let share = DifferenceView(palette: palette).draw(before: mask(maps, alpha: 0, width, height),
                                                              after: mask(maps, alpha: state.shownAlpha, width, height), onto: &out)
            return [PanelContent(caption: "changed by rectifying (alpha 0 -> \(Format.alpha(state.shownAlpha))): \(Format.percent(share)) of pixels",
                                 pixels: out, message: nil)]
        case .overlay:
            switch state.overlay {
            case .image:
                return [PanelContent(caption: "image", pixels: image, message: nil)]
            case .mask:
                guard let maps else { return [PanelContent(caption: "mask over image", pixels: image, message: nil)] }
                return [PanelContent(caption: "mask over image (opacity \(Format.percent(state.opacity)))",
                                     pixels: painted(mask(maps, alpha: state.shownAlpha, width, height), over: image, opacity: state.opacity),
                                     message: nil)]
            case .groundTruth:
                guard let panel = groundTruthPanel(over: image, opacity: state.opacity) else {
                    return [PanelContent(caption: "ground truth", pixels: image, message: nil)]
                }
                return [PanelContent(caption: "ground truth (opacity \(Format.percent(state.opacity)))", pixels: panel.pixels, message: nil)]
            }
        }
    }

    /// Why a panel has no mask yet.
    var waitingMessage: String {
        if state.model == nil { return state.modelProblem ?? "no model loaded" }
        switch state.segmentations[state.selected] {
        case .failed(let why)?: return "engine: \(why)"
        case .computing(let p)?: return "computing \(Format.percent(p))"
        default: return "waiting for the engine"
        }
    }

    /// The ground truth over `image` (ignore pixels show the image), with its mIoU caption.
    func groundTruthPanel(over image: RGBImage, opacity: Double) -> PanelContent? {
        guard let truth = state.currentGroundTruth else { return nil }
        var pixels = image
        MaskOverlay(palette: truthPalette, opacity: opacity).draw(truth, onto: &pixels)
        return PanelContent(caption: "ground truth", pixels: pixels, message: nil)
    }

    /// The arg-max mask at `alpha`, at `width` x `height`.
    func mask(_ maps: SegmentationMaps, alpha: Float, _ width: Int, _ height: Int) -> ClassMask {
        ClassMask(width: width, height: height, labels: maps.labels(alpha: alpha, width: width, height: height,
                                                                    hidden: state.hiddenClasses))
    }

    /// `mask` in class colours over `image`.
    func painted(_ mask: ClassMask, over image: RGBImage, opacity: Double) -> RGBImage {
        var pixels = image
        MaskOverlay(palette: palette, opacity: opacity).draw(mask, onto: &pixels)
        return pixels
    }

    /// Class `k`'s plane of a [K, h, w] map.
    func plane(_ values: [Float], _ k: Int, _ maps: SegmentationMaps) -> [Float] {
        let n = maps.gridWidth * maps.gridHeight
        return Array(values[(k * n)..<((k + 1) * n)])
    }

    /// A bias plane in RdBu_r over `range`, one block per patch.
    func heat(_ values: [Float], _ maps: SegmentationMaps, _ range: HeatmapRange, _ width: Int, _ height: Int) -> RGBImage {
        let small = Heatmap(width: maps.gridWidth, height: maps.gridHeight, values: values).image(colorMap: .rdBuR, range: range)
        return AreaResampler.nearest(small, width: width, height: height)
    }

    /// One symmetric range for both bias maps of the focused class, so that they compare.
    func biasRange(_ maps: SegmentationMaps) -> HeatmapRange {
        guard let cls = maps.classBias, let spc = maps.spaceBias, maps.classCount > 0 else { return .fixed(low: -1, high: 1) }
        let k = min(state.focusClass, maps.classCount - 1)
        let (low, high) = HeatmapRange.symmetric.resolve(plane(cls, k, maps) + plane(spc, k, maps))
        return .fixed(low: low, high: high)
    }

    /// The image's mIoU at `alpha` against its ground truth, from the same confusion matrix as
    /// `reclip eval` (prediction at the mask's own resolution, classes in its ground truth or
    /// its prediction).
    func score(maps: SegmentationMaps, alpha: Float) -> Double? {
        guard let truth = state.currentGroundTruth, truth.width > 0, truth.height > 0,
              state.groundTruthClasses.map({ $0 == maps.classNames }) ?? true else { return nil }
        let labels = maps.labels(alpha: alpha, width: truth.width, height: truth.height, hidden: state.hiddenClasses)
        let miou = ImageScores.confusion(labels, truth: truth, classes: maps.classCount).meanIoU
        return miou.isNaN ? nil : miou
    }
}
