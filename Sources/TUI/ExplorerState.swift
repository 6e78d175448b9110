import Pixels
import Foundation
import Render
import Datasets
import FileIO
import CLIP
import ReCLIP

/// The loaded model, as the status line names it.
public struct ModelInfo: Sendable, Equatable {
    /// The weights file or bundled model's name.
    public let name: String
    /// "ReCLIP", "ReCLIP++", "cls-subtract (SegEarth-OV)", or "MaskCLIP only" when there is
    /// no rectification (`Rectification.displayName`).
    public let variant: String
    /// Whether a rectification is loaded, trained or not (otherwise alpha has nothing to subtract).
    public let hasRectifier: Bool
    /// Whether the rectification needs no training (cls-subtract): nothing to adapt, and it
    /// fits every head as it is.
    public let trainingFree: Bool
    /// Whether the model knows only the generated scene world (the bundled small CLIP): the
    /// status line then says so when an image from outside a world dataset is selected.
    public let knowsOnlyTheWorld: Bool
    /// The model's measured figures on held-out data, for the status line, so that one scene
    /// is seen in context (the bundled model's `figures.json`).
    public let figures: String?
    /// The same figures with the maps refined by PAMR (`r`), shown instead while refinement is on.
    public let refinedFigures: String?
    /// The settings behind the numbers, as (setting, value) rows for the protocol panel (`P`):
    /// weights file and hash, input size, templates, head, rectifier and its training metadata.
    public let protocolRows: [(String, String)]
    /// How a caption names the rectifier beside its method: "bundled" for the bundled model's,
    /// else its file's name; nil when unknown (a caption then says "starting").
    public let rectifierName: String?

    public init(name: String, variant: String, hasRectifier: Bool, trainingFree: Bool = false, knowsOnlyTheWorld: Bool = false,
                figures: String? = nil, refinedFigures: String? = nil, protocolRows: [(String, String)] = [],
                rectifierName: String? = nil) {
        self.name = name
        self.variant = variant
        self.hasRectifier = hasRectifier
        self.trainingFree = trainingFree
        self.knowsOnlyTheWorld = knowsOnlyTheWorld
        self.figures = figures
        self.refinedFigures = refinedFigures
        self.protocolRows = protocolRows
        self.rectifierName = rectifierName
    }

    public static func == (a: ModelInfo, b: ModelInfo) -> Bool {
        a.name == b.name && a.variant == b.variant && a.hasRectifier == b.hasRectifier && a.trainingFree == b.trainingFree && a.knowsOnlyTheWorld == b.knowsOnlyTheWorld
            && a.figures == b.figures && a.rectifierName == b.rectifierName && a.protocolRows.map { [$0.0, $0.1] } == b.protocolRows.map { [$0.0, $0.1] }
    }
}

/// Adapting the rectifier to the open folder (`T`): under way, or done and offered.
public enum AdaptationStatus: Sendable, Equatable {
    /// Running: the phase ("features 3/24", "step 40/100") and progress in 0...1.
    case running(phase: String, progress: Double)
    /// Finished: the adapted rectifier in a scratch file, offered (`y` uses and saves it, `n`
    /// keeps the current one).
    case ready(file: URL, summary: String)
}

/// Where the engine is with one image.
public enum SegmentationStatus: Sendable {
    /// Asked for, not yet started or running; `progress` in 0...1.
    case computing(progress: Double)
    /// Finished: the maps for the explorer's class list and how long the engine took.
    case done(SegmentationMaps, seconds: Double)
    /// The engine reported an error.
    case failed(String)
}

/// A position on the current image in fractions of its width and height (0..<1), so that it
/// stays on the same spot of the picture when the layout changes.
public struct CursorPosition: Sendable, Equatable {
    public var u: Double
    public var v: Double
    public init(u: Double, v: Double) { self.u = u; self.v = v }

    /// The cell of a `columns` x `rows` grid whose span holds the cursor: a panel's cell on
    /// screen, the image's pixel (the image's size as the grid) or the feature grid's patch.
    /// One rule for all three, so the marked cell, the pixel and the patch the inspector
    /// names are the same spot.
    /// A cursor exactly on a boundary (a cell's centre between two pixels) takes the cell after
    /// it: the product is nudged by 1e-9 against a rounding error below the boundary (a cursor
    /// at a cell's centre, (k + 0.5) / n with n up to thousands, is never that close to one
    /// otherwise).
    public func cell(columns: Int, rows: Int) -> (x: Int, y: Int) {
        func index(_ t: Double, _ n: Int) -> Int { min(n - 1, max(0, Int((t * Double(n) + 1e-9).rounded(.down)))) }
        return (index(u, columns), index(v, rows))
    }
}

/// Everything the explorer shows, as a value: keys and engine results turn one state into the
/// next (`ExplorerState.applying(_:)`), and a frame is drawn from a state alone
/// (`ExplorerFrame`), so both can be tested without a terminal.
///
/// ```swift
/// var state = ExplorerState(entries: [ImageEntry(url: URL(fileURLWithPath: "cat.png"))],
///                           classes: ["cat", "sky"], model: nil, width: 80, height: 24)
/// let (next, effects) = state.applying(.key(.character("+")))
/// ```
public struct ExplorerState: Sendable {
    /// The paper's rectification strength.
    public static let paperAlpha: Float = 1
    /// The step of `-` and `+`.
    public static let alphaStep: Float = 0.1
    /// The range alpha may take.
    public static let alphaRange: ClosedRange<Float> = 0...3
    /// Decoded images kept at once (the nearest to the selection stay).
    public static let pictureCacheSize = 12

    /// The images of the side list.
    public var entries: [ImageEntry]
    /// The index of the current image.
    public var selected = 0
    /// The class names, in the engine's logit order.
    public var classes: [String]
    /// The loaded model; `nil` shows images (and ground truth) only.
    public var model: ModelInfo?
    /// Why the engine could not be loaded, shown instead of the "no model" hint.
    public var modelProblem: String?
    /// The classes the ground-truth masks are indexed by (a dataset's `classes.txt`), when
    /// known; mIoU is shown only when they are the explorer's classes.
    public var groundTruthClasses: [String]?
    /// Whether cells may use `▀` (UTF-8 locale) or one colour per cell.
    public var halfBlocks = true
    /// The colours the terminal shows (the explorer draws through the 256-colour palette on
    /// colour terminals): cells are reduced to them by Render, as `reclip render` does.
    public var colorMode: ColorMode = .truecolor
    /// How pictures reach the screen: cells (as `CellCanvas` draws them) or a graphics
    /// protocol with the terminal's cell size in pixels (`GraphicsSetup`, detected at start).
    public var graphicsSetup: GraphicsSetup = .cells

    /// The view on screen.
    public var view: ExplorerView = .compare
    /// What the overlay view shows.
    public var overlay: OverlayMode = .mask
    /// Opacity of masks over the photograph in the overlay view.
    public var opacity = 0.5
    /// Rectification strength: L_rect = L_raw - alpha * bias.
    public var alpha: Float = ExplorerState.paperAlpha
    /// The class whose bias maps the bias view shows.
    public var focusClass = 0
    /// Adapting the rectifier to the folder (`T`), if under way or offered.
    public var adaptation: AdaptationStatus?
    /// The starting and the adapted rectifier, once an adaptation is offered or kept (`b`
    /// shows them side by side in the compare view).
    public var rectifierComparison: RectifierComparison?
    /// How the maps are read out: the dense head whose logits are shown and rectified (`h`
    /// cycles them; its paper's templates go with it) and the PAMR refinement (`r`).
    public var readout = Readout()
    /// The readout's dense head.
    public var head: DenseHead {
        get { readout.head }
        set { readout.head = newValue }
    }
    /// Whether alpha is chosen per image without labels (`A`, `AutomaticAlpha`).
    public var automaticAlpha = false
    /// Classes left out of the arg-max (Space on the focus class), to see the mask without them.
    public var hiddenClasses: Set<Int> = []
    /// Whether the inspect cursor is on.
    public var inspecting = false
    /// Where the inspect cursor is.
    public var cursor = CursorPosition(u: 0.5, v: 0.5)
    /// Whether the help overlay is open.
    public var showHelp = false
    /// Whether the protocol panel (`P`) is open.
    public var showProtocol = false
    /// The class prompt, while it is open (`a` adds, `e` edits).
    public var prompt: ClassPrompt?
    /// The dataset view's scores per entry, for `datasetAlpha` and the current classes.
    public var datasetScores: [Int: ImageScores] = [:]
    /// The alpha of the dataset sweep under way or done (nil: none asked for yet).
    public var datasetAlpha: Float?
    /// Whether the dataset sweep is still going.
    public var datasetSweeping = false
    /// The highlighted row of the dataset view's image list.
    public var datasetCursor = 0
    /// Whether the dataset view's confusion matrix is the rectified one (else raw).
    public var datasetMatrixRectified = true
    /// Terminal columns.
    public var width: Int
    /// Terminal rows.
    public var height: Int
    /// A one-off message for the status line (cleared by the next key).
    public var message: String?
    /// Set when the explorer should end.
    public var quitting = false
    /// Advances while the engine works, to turn the spinner.
    public var spinnerPhase = 0

    /// Decoded photographs by entry index.
    public var pictures: [Int: RGBImage] = [:]
    /// Ground-truth masks by entry index.
    public var groundTruths: [Int: ClassMask] = [:]
    /// Entries whose decoding was asked for and has not answered.
    public var loading: Set<Int> = []
    /// Entries that could not be decoded, with the reason.
    public var imageErrors: [Int: String] = [:]
    /// The engine's state per entry.
    public var segmentations: [Int: SegmentationStatus] = [:]

    public init(entries: [ImageEntry], classes: [String], model: ModelInfo?,
                width: Int, height: Int) {
        self.entries = entries
        self.classes = classes
        self.model = model
        self.width = width
        self.height = height
    }

    /// The current entry, if there is one.
    public var currentEntry: ImageEntry? { entries.indices.contains(selected) ? entries[selected] : nil }
    /// The current photograph, once decoded.
    public var currentPicture: RGBImage? { pictures[selected] }
    /// The current ground truth, if the dataset has one and it is decoded.
    public var currentGroundTruth: ClassMask? { groundTruths[selected] }
    /// The alpha the current image is shown at: the automatic choice when `A` is on and the
    /// maps allow one, else `alpha`.
    public var shownAlpha: Float {
        guard automaticAlpha, let maps = currentMaps, let a = AutomaticAlpha.choose(maps, hidden: hiddenClasses) else { return alpha }
        return a
    }
    /// How pixels become cells on this terminal: Render's canvas, the same as `reclip render`.
    public var canvas: CanvasConfig {
        CanvasConfig(colorMode: colorMode, cellMode: halfBlocks ? .halfBlock : .background)
    }
    /// Whether this frame's picture panels are drawn in pixels: a graphics protocol is in
    /// use and no box (help, protocol) lies over the panels, which a kitty picture would hide.
    public var drawsPixels: Bool {
        graphicsSetup.graphics.drawsPixels && !showHelp && !showProtocol && view != .dataset
    }
    /// The engine's maps for the current image, once computed.
    public var currentMaps: SegmentationMaps? {
        if case .done(let maps, _)? = segmentations[selected] { return maps }
        return nil
    }
    /// Whether the compare view shows the starting rectifier against the adapted one (`b`).
    public var comparesRectifiers: Bool { view == .compare && rectifierComparison?.shown == true }
    /// The other rectifier's maps for the current image (`RectifierComparison`), once computed.
    public var comparisonMaps: SegmentationMaps? { rectifierComparison?.otherDone(selected) }
    /// Whether the engine is working on the current image.
    public var isComputing: Bool {
        if case .computing? = segmentations[selected] { return true }
        return false
    }
}
