import Render
import Segmentation

/// What one panel of a view shows: a caption and a picture, or a message where the picture
/// would be (no model, still computing, no rectifier).
public struct PanelContent: Sendable {
    public var caption: String
    public var picture: Picture?
    public var message: String?
}

/// The pictures of the current view at a given pixel size: used at panel size for the screen
/// and at the image's own size when saving.
struct ViewPanels {
    let state: ExplorerState
    let palette: ClassColours

    init(state: ExplorerState) {
        self.state = state
        palette = ClassColours(classes: state.classes)
    }

    /// The panels of `state.view`, each `width` x `height` pixels.
    func panels(width: Int, height: Int) -> [PanelContent] {
        guard width > 0, height > 0 else { return [] }
        guard let photo = state.currentPicture else {
            let why = state.imageErrors[state.selected] ?? (state.entries.isEmpty ? "no images" : "loading...")
            return (0..<state.view.panelCount).map { _ in PanelContent(caption: "", picture: nil, message: why) }
        }
        let image = photo.resized(width: width, height: height)
        let maps = state.currentMaps
        switch state.view {
        case .compare:
            guard let maps else {
                return [PanelContent(caption: "image", picture: image, message: nil),
                        groundTruthPanel(image: image) ?? PanelContent(caption: "masks", picture: nil, message: waitingMessage)]
            }
            let raw = maps.labels(alpha: 0, width: width, height: height)
            let rect = maps.labels(alpha: state.alpha, width: width, height: height)
            let rawScore = score(maps: maps, alpha: 0).map { "  mIoU " + Format.percent($0) } ?? ""
            let rectScore = score(maps: maps, alpha: state.alpha).map { "  mIoU " + Format.percent($0) } ?? ""
            let rectCaption = maps.hasBias ? "rectified (alpha \(Format.alpha(state.alpha)))" : "rectified: no rectifier"
            return [PanelContent(caption: "raw CLIP" + rawScore, picture: paint(raw, width, height), message: nil),
                    PanelContent(caption: rectCaption + rectScore, picture: paint(rect, width, height), message: nil)]
        case .bias:
            guard let maps else {
                return [PanelContent(caption: "class bias", picture: nil, message: waitingMessage),
                        PanelContent(caption: "space bias", picture: nil, message: waitingMessage)]
            }
            guard let cls = maps.classBias, let spc = maps.spaceBias, maps.classCount > 0 else {
                let why = "no trained rectifier: no bias maps"
                return [PanelContent(caption: "class bias", picture: nil, message: why),
                        PanelContent(caption: "space bias", picture: nil, message: why)]
            }
            let k = min(state.focusClass, maps.classCount - 1)
            let plane = maps.gridWidth * maps.gridHeight
            let clsPlane = cls[(k * plane)..<((k + 1) * plane)]
            let spcPlane = spc[(k * plane)..<((k + 1) * plane)]
            let scale = biasScale(maps)
            let name = maps.classNames[k]
            return [
                PanelContent(caption: "class bias: \(name)",
                             picture: scale.painted(clsPlane, width: maps.gridWidth, height: maps.gridHeight, toWidth: width, height: height),
                             message: nil),
                PanelContent(caption: "space bias: \(name)",
                             picture: scale.painted(spcPlane, width: maps.gridWidth, height: maps.gridHeight, toWidth: width, height: height),
                             message: nil),
            ]
        case .difference:
            guard let maps else {
                return [PanelContent(caption: "difference", picture: image.dimmed(0.5), message: waitingMessage)]
            }
            let raw = maps.labels(alpha: 0, width: width, height: height)
            let rect = maps.labels(alpha: state.alpha, width: width, height: height)
            var out = image.dimmed(0.4)
            var changed = 0
            for i in 0..<raw.count where raw[i] != rect[i] {
                out.pixels[i] = palette[Int(rect[i])]
                changed += 1
            }
            let share = Format.percent(Double(changed) / Double(max(1, raw.count)))
            return [PanelContent(caption: "changed by rectifying (alpha 0 -> \(Format.alpha(state.alpha))): \(share) of pixels",
                                 picture: out, message: nil)]
        case .overlay:
            switch state.overlay {
            case .image:
                return [PanelContent(caption: "image", picture: image, message: nil)]
            case .mask:
                guard let maps else {
                    return [PanelContent(caption: "mask over image", picture: image, message: nil)]
                }
                let rect = maps.labels(alpha: state.alpha, width: width, height: height)
                return [PanelContent(caption: "mask over image (opacity \(Format.percent(state.opacity)))",
                                     picture: image.blended(with: paint(rect, width, height), opacity: state.opacity),
                                     message: nil)]
            case .groundTruth:
                guard let truth = state.currentGroundTruth else {
                    return [PanelContent(caption: "ground truth", picture: image, message: nil)]
                }
                let mask = truth.resized(width: width, height: height).painted(truthPalette)
                return [PanelContent(caption: "ground truth (opacity \(Format.percent(state.opacity)))",
                                     picture: image.blended(with: mask, opacity: state.opacity), message: nil)]
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

    func groundTruthPanel(image: Picture) -> PanelContent? {
        guard let truth = state.currentGroundTruth else { return nil }
        return PanelContent(caption: "ground truth",
                            picture: truth.resized(width: image.width, height: image.height).painted(truthPalette),
                            message: nil)
    }

    /// Colours of the ground truth's classes (the dataset's, which may differ from the engine's).
    var truthPalette: ClassColours {
        state.groundTruthClasses.map { ClassColours(classes: $0) } ?? palette
    }

    func paint(_ labels: [Int32], _ width: Int, _ height: Int) -> Picture {
        LabelMap(width: width, height: height, labels: labels).painted(palette)
    }

    /// One scale for both bias maps of the focused class, so that they compare.
    func biasScale(_ maps: SegmentationMaps) -> DivergingScale {
        guard let cls = maps.classBias, let spc = maps.spaceBias, maps.classCount > 0 else { return DivergingScale(limit: 1) }
        let k = min(state.focusClass, maps.classCount - 1)
        let plane = maps.gridWidth * maps.gridHeight
        return DivergingScale(covering: Array(cls[(k * plane)..<((k + 1) * plane)]) + Array(spc[(k * plane)..<((k + 1) * plane)]))
    }

    /// mIoU of the mask at `alpha` against the ground truth (at most 320 pixels wide, nearest).
    func score(maps: SegmentationMaps, alpha: Float) -> Double? {
        guard let truth = state.currentGroundTruth, truth.width > 0, truth.height > 0,
              state.groundTruthClasses.map({ $0 == maps.classNames }) ?? true else { return nil }
        let scale = min(1, 320.0 / Double(max(truth.width, truth.height)))
        let w = max(1, Int(Double(truth.width) * scale)), h = max(1, Int(Double(truth.height) * scale))
        let small = truth.resized(width: w, height: h)
        return MaskScore.meanIoU(prediction: maps.labels(alpha: alpha, width: w, height: h), truth: small,
                                 classes: maps.classCount)
    }
}
