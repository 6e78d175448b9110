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
    /// A figure after the caption ("mIoU 50%"), kept when a narrow panel cuts the caption.
    public var figure: String?
}

/// How a panel's pixels are made, without making them: the one description both the cells
/// and the graphics protocols compose from (`ViewPanels.compose`), and, with the state's
/// inputs, the key that tells whether a panel changed (`PanelKey`).
public enum PanelRecipe: Hashable, Sendable {
    /// The photograph.
    case photo
    /// The ground truth over the photograph.
    case groundTruth(opacity: Double)
    /// The arg-max mask at `alpha` over the photograph.
    case mask(alpha: Float, opacity: Double)
    /// The arg-max mask at `alpha` of the rectifier comparison's other rectifier (the one the
    /// engine does not use), opaque.
    case comparisonMask(alpha: Float)
    /// Class `classIndex`'s class-preference bias (`space` false) or space-preference bias, in RdBu.
    case bias(space: Bool, classIndex: Int)
    /// Pixels whose class changes between alpha 0 and `alpha`, over the dimmed photograph.
    case difference(alpha: Float)
    /// The dimmed photograph (the difference view before the maps exist).
    case dimmed

    /// Whether the recipe depends on alpha (what an alpha step redraws).
    public var dependsOnAlpha: Bool {
        switch self {
        case .mask(let alpha, _), .comparisonMask(let alpha): return alpha != 0
        case .difference: return true
        default: return false
        }
    }
}

/// One panel before composition: its caption, its recipe (nil: no picture) and any message.
public struct PanelSpec: Sendable, Equatable {
    public var caption: String
    public var recipe: PanelRecipe?
    public var message: String?
    /// A figure after the caption ("mIoU 50%"), kept when a narrow panel cuts the caption.
    public var figure: String?

    /// The caption and its figure, two spaces apart, as a wide panel shows them.
    public var title: String { Self.title(caption, figure: figure, width: .max) }

    /// `caption` and `figure` in `width` cells: when both do not fit, the caption is cut
    /// (ending in `cut`), never the figure, as long as 6 of its characters stay.
    public static func title(_ caption: String, figure: String?, width: Int, cut: String = ".") -> String {
        guard let figure else { return caption }
        let room = width - figure.count - 2
        guard caption.count > room, room - cut.count >= 6 else { return caption + "  " + figure }
        return String(caption.prefix(room - cut.count)) + cut + "  " + figure
    }
}

/// The pictures of the current view composed at a given pixel size through Render (the
/// resampler, `MaskOverlay`, `Heatmap`, `DifferenceView`): at panel size in cells for the
/// screen, at the panel's pixel size for a graphics protocol, and at the image's own size when
/// saving. `specs` says what each panel shows; `compose` makes one panel's pixels; nothing
/// here draws pixels itself.
struct ViewPanels {
    let state: ExplorerState
    let palette: [RGB]
    /// Whether masks get 1-pixel class boundaries (the graphics protocols, whose pixels are
    /// small enough for a line; a half-block cell would make it a band).
    var boundaries = false

    /// Masks kept from earlier frames (nil: each computed here).
    var cache: FrameCache?

    /// The colour of mask boundaries.
    static let boundaryColor = RGB(255, 255, 255)

    init(state: ExplorerState, boundaries: Bool = false, cache: FrameCache? = nil) {
        self.state = state
        self.boundaries = boundaries
        self.cache = cache
        palette = ClassPalette.forClasses(state.classes)
    }

    /// Class colours of the ground truth (the dataset's classes, which may differ from the engine's).
    var truthPalette: [RGB] { state.groundTruthClasses.map(ClassPalette.forClasses) ?? palette }

    /// The panels of `state.view`, each `width` x `height` pixels; `photo` is the current image
    /// already at that size (the caller may cache it: it does not change with alpha).
    func panels(width: Int, height: Int, photo: RGBImage? = nil) -> [PanelContent] {
        guard width > 0, height > 0 else { return [] }
        let specs = specs(width: width, height: height)
        guard let original = state.currentPicture else {
            return specs.map { PanelContent(caption: $0.caption, pixels: nil, message: $0.message, figure: $0.figure) }
        }
        let image = photo ?? AreaResampler.resample(original, width: width, height: height)
        return specs.map { spec in
            PanelContent(caption: spec.caption, pixels: spec.recipe.map { compose($0, width: width, height: height, photo: image) },
                         message: spec.message, figure: spec.figure)
        }
    }

    /// What each panel of `state.view` shows; the difference caption's share is counted at
    /// `width` x `height`.
    func specs(width: Int, height: Int) -> [PanelSpec] {
        let count = state.view.panelCount(groundTruth: state.currentEntry?.groundTruth != nil)
        guard state.currentPicture != nil else {
            let why = state.imageErrors[state.selected] ?? (state.entries.isEmpty ? "no images" : "loading...")
            return (0..<count).map { _ in PanelSpec(caption: "", recipe: nil, message: why) }
        }
        let maps = state.currentMaps
        switch state.view {
        case .dataset:
            return []   // drawn as text and bars, not pictures (DatasetViewDrawing)
        case .compare:
            var out = [PanelSpec(caption: "image", recipe: .photo, message: nil)]
            if state.currentEntry?.groundTruth != nil {
                out.append(state.currentGroundTruth != nil
                           ? PanelSpec(caption: "ground truth", recipe: .groundTruth(opacity: 1), message: nil)
                           : PanelSpec(caption: "ground truth", recipe: nil, message: "loading..."))
            }
            if state.comparesRectifiers, let comparison = state.rectifierComparison {
                return out + rectifierSpecs(comparison, maps: maps)
            }
            guard let maps else {
                out += [PanelSpec(caption: rawTitle, recipe: nil, message: waitingMessage),
                        PanelSpec(caption: "rectified", recipe: nil, message: waitingMessage)]
                return out
            }
            let rawScore = figure(maps, alpha: 0), rectScore = figure(maps, alpha: state.shownAlpha)
            var rectCaption = maps.hasBias ? "rectified (alpha \(Format.alpha(state.shownAlpha)))"
                : (state.model?.hasRectifier ?? false) ? "not rectified: ReCLIP++ serves only its own classes" : "rectified: no rectifier"
            if maps.hasBias && !maps.classesWithoutSpaceBias.isEmpty {
                rectCaption += "; class bias only: " + maps.classesWithoutSpaceBias.joined(separator: ", ")
            }   // (also in the status line, which has the room a narrow caption lacks)
            out += [PanelSpec(caption: rawTitle, recipe: .mask(alpha: 0, opacity: 1), message: nil, figure: rawScore),
                    PanelSpec(caption: rectCaption, recipe: .mask(alpha: state.shownAlpha, opacity: 1), message: nil, figure: rectScore)]
            return out
        case .bias:
            guard let maps else {
                return [PanelSpec(caption: "class bias", recipe: nil, message: waitingMessage),
                        PanelSpec(caption: "space bias", recipe: nil, message: waitingMessage)]
            }
            guard maps.classBias != nil, maps.spaceBias != nil, maps.classCount > 0 else {
                let why = "no trained rectifier: no bias maps"
                return [PanelSpec(caption: "class bias", recipe: nil, message: why),
                        PanelSpec(caption: "space bias", recipe: nil, message: why)]
            }
            let k = min(state.focusClass, maps.classCount - 1)
            let name = maps.classNames[k]
            // SegEarth-OV's class bias: the global logits at every patch, and no space part.
            let classToken = maps.rectification == .classToken
            return [PanelSpec(caption: classToken ? "class bias (cls-subtract): \(name)" : "class bias: \(name)",
                              recipe: .bias(space: false, classIndex: k), message: nil),
                    PanelSpec(caption: classToken ? "space bias: none (cls-subtract)" : "space bias: \(name)",
                              recipe: .bias(space: true, classIndex: k), message: nil)]
        case .difference:
            guard let maps else { return [PanelSpec(caption: "difference", recipe: .dimmed, message: waitingMessage)] }
            let share = DifferenceView.changedFraction(mask(maps, alpha: 0, width, height), mask(maps, alpha: state.shownAlpha, width, height))
            return [PanelSpec(caption: "changed by rectifying (alpha 0 -> \(Format.alpha(state.shownAlpha))): \(Format.percent(share)) of pixels",
                              recipe: .difference(alpha: state.shownAlpha), message: nil)]
        case .overlay:
            switch state.overlay {
            case .image:
                return [PanelSpec(caption: "image", recipe: .photo, message: nil)]
            case .mask:
                guard maps != nil else { return [PanelSpec(caption: "mask over image", recipe: .photo, message: nil)] }
                return [PanelSpec(caption: "mask over image (opacity \(Format.percent(state.opacity)))",
                                  recipe: .mask(alpha: state.shownAlpha, opacity: state.opacity), message: nil)]
            case .groundTruth:
                guard state.currentGroundTruth != nil else { return [PanelSpec(caption: "ground truth", recipe: .photo, message: nil)] }
                return [PanelSpec(caption: "ground truth (opacity \(Format.percent(state.opacity)))",
                                  recipe: .groundTruth(opacity: state.opacity), message: nil)]
            }
        }
    }

    /// The compare view's two rectifiers (`b`): the starting one's rectified mask, then the
    /// adapted one's, both at the shown alpha, each captioned with its name and mIoU; the
    /// engine's `maps` are whichever of the two it uses.
    func rectifierSpecs(_ comparison: RectifierComparison, maps: SegmentationMaps?) -> [PanelSpec] {
        let alpha = state.shownAlpha
        func spec(_ name: String, _ maps: SegmentationMaps?, _ recipe: PanelRecipe, waiting: String) -> PanelSpec {
            guard let maps else { return PanelSpec(caption: name, recipe: nil, message: waiting) }
            return PanelSpec(caption: name, recipe: recipe, message: nil, figure: figure(maps, alpha: alpha))
        }
        let inUse = spec(comparison.adaptedInUse ? comparison.adaptedName : comparison.startingName, maps,
                         .mask(alpha: alpha, opacity: 1), waiting: waitingMessage)
        let other = spec(comparison.adaptedInUse ? comparison.startingName : comparison.adaptedName, state.comparisonMaps,
                         .comparisonMask(alpha: alpha), waiting: comparisonWaitingMessage)
        return comparison.adaptedInUse ? [other, inUse] : [inUse, other]
    }

    /// Why the other rectifier's panel has no mask yet.
    var comparisonWaitingMessage: String {
        switch state.rectifierComparison?.otherMaps[state.selected] {
        case .failed(let why)?: return "engine: \(why)"
        case .computing?: return "computing..."
        default: return "waiting for the engine"
        }
    }

    /// One panel's pixels at `width` x `height`; `photo` is the current image resampled to that
    /// size. A recipe whose inputs are gone (no maps, no ground truth) gives the photograph.
    func compose(_ recipe: PanelRecipe, width: Int, height: Int, photo: RGBImage) -> RGBImage {
        let maps = state.currentMaps
        switch recipe {
        case .photo:
            return photo
        case .groundTruth(let opacity):
            guard let truth = state.currentGroundTruth else { return photo }
            var pixels = photo
            MaskOverlay(palette: truthPalette, opacity: opacity, boundaryColor: boundaries ? Self.boundaryColor : nil)
                .draw(truth, onto: &pixels)
            return pixels
        case .mask(let alpha, let opacity):
            guard let maps else { return photo }
            return painted(mask(maps, alpha: alpha, width, height), over: photo, opacity: opacity)
        case .comparisonMask(let alpha):
            guard let other = state.comparisonMaps else { return photo }
            return painted(mask(other, alpha: alpha, width, height), over: photo, opacity: 1)
        case .bias(let space, let k):
            guard let maps, let values = space ? maps.spaceBias : maps.classBias, k < maps.classCount else { return photo }
            return heat(plane(values, k, maps), maps, biasRange(maps), width, height)
        case .difference(let alpha):
            guard let maps else { return photo }
            var out = photo
            DifferenceView(palette: palette).draw(before: mask(maps, alpha: 0, width, height),
                                                  after: mask(maps, alpha: alpha, width, height), onto: &out)
            return out
        case .dimmed:
            var dimmed = photo
            DifferenceView(palette: palette).dim(&dimmed)
            return dimmed
        }
    }

    /// The raw mask's caption: "raw CLIP" for MaskCLIP (ReCLIP's base), else it names the head.
    var rawTitle: String { state.head == .maskclip ? "raw CLIP" : "raw \(state.head.displayName)" }

    /// Why a panel has no mask yet.
    var waitingMessage: String {
        if state.model == nil { return state.modelProblem ?? "no model loaded" }
        switch state.segmentations[state.selected] {
        case .failed(let why)?: return "engine: \(why)"
        case .computing(let p)?: return "computing \(Format.percent(p))"
        default: return "waiting for the engine"
        }
    }

    /// The arg-max mask at `alpha`, at `width` x `height`.
    func mask(_ maps: SegmentationMaps, alpha: Float, _ width: Int, _ height: Int) -> ClassMask {
        ClassMask(width: width, height: height,
                  labels: cache?.labels(maps, alpha: alpha, width: width, height: height, hidden: state.hiddenClasses)
                      ?? maps.labels(alpha: alpha, width: width, height: height, hidden: state.hiddenClasses))
    }

    /// `mask` in class colours over `image`.
    func painted(_ mask: ClassMask, over image: RGBImage, opacity: Double) -> RGBImage {
        var pixels = image
        MaskOverlay(palette: palette, opacity: opacity, boundaryColor: boundaries ? Self.boundaryColor : nil)
            .draw(mask, onto: &pixels)
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

    /// A mask panel's figure: "mIoU 50%" where the image has ground truth.
    func figure(_ maps: SegmentationMaps, alpha: Float) -> String? {
        score(maps: maps, alpha: alpha).map { "mIoU " + Format.percent($0) }
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
