import Pixels
import Render
import ReCLIP

/// Everything a picture panel's pixels depend on, as a value: two equal keys make the same
/// pixels, so a panel whose key did not change is not composed, encoded or sent again.
///
/// Each recipe carries only its own inputs: the photograph panel has no maps and no alpha, so
/// an alpha step or the engine's maps arriving leave it alone; the raw mask (alpha 0) has no
/// alpha either. Equality compares the inputs themselves (pixels, labels, logits: arrays that
/// share storage compare at once); the hash uses only sizes and small fields, so hashing a key
/// never walks an image.
public struct PanelKey: Hashable, Sendable {
    /// How the pixels are made.
    public let recipe: PanelRecipe
    /// The panel's size in pixels.
    public let width: Int
    public let height: Int
    /// The inspect cursor's cell inside the panel, when it is on.
    public let cursor: CellPosition?
    /// Whether masks carry class boundaries.
    public let boundaries: Bool
    let photo: RGBImage
    let truth: ClassMask?
    let maps: MapsValue?
    let palette: [RGB]
    let hidden: Set<Int>

    /// A cell inside a panel.
    public struct CellPosition: Hashable, Sendable {
        public var column: Int
        public var row: Int
    }

    /// The logits behind a mask, bias or difference picture, compared by value.
    struct MapsValue: Hashable, Sendable {
        let maps: SegmentationMaps

        static func == (a: MapsValue, b: MapsValue) -> Bool {
            let x = a.maps, y = b.maps
            return x.classNames == y.classNames && x.gridWidth == y.gridWidth && x.gridHeight == y.gridHeight
                && x.raw == y.raw && x.bias == y.bias && x.classBias == y.classBias && x.spaceBias == y.spaceBias
                && x.decoderBase == y.decoderBase && x.decoderSlope == y.decoderSlope
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(maps.classNames)
            hasher.combine(maps.gridWidth)
            hasher.combine(maps.gridHeight)
        }
    }

    init(recipe: PanelRecipe, width: Int, height: Int, cursor: CellPosition?, boundaries: Bool, state: ExplorerState,
         palette: [RGB], truthPalette: [RGB]) {
        self.recipe = recipe
        self.width = width
        self.height = height
        self.cursor = cursor
        self.boundaries = boundaries
        photo = state.currentPicture ?? RGBImage(width: 0, height: 0)
        switch recipe {
        case .photo, .dimmed:
            truth = nil; maps = nil; self.palette = []; hidden = []
        case .groundTruth:
            truth = state.currentGroundTruth; maps = nil; self.palette = truthPalette; hidden = []
        case .mask, .difference:
            truth = nil; maps = state.currentMaps.map(MapsValue.init); self.palette = palette; hidden = state.hiddenClasses
        case .comparisonMask:
            truth = nil; maps = state.comparisonMaps.map(MapsValue.init); self.palette = palette; hidden = state.hiddenClasses
        case .bias:
            truth = nil; maps = state.currentMaps.map(MapsValue.init); self.palette = []; hidden = []
        }
    }

    public static func == (a: PanelKey, b: PanelKey) -> Bool {
        a.recipe == b.recipe && a.width == b.width && a.height == b.height && a.cursor == b.cursor
            && a.boundaries == b.boundaries && a.hidden == b.hidden && a.palette == b.palette
            && a.truth == b.truth && a.maps == b.maps && a.photo == b.photo
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(recipe)
        hasher.combine(width)
        hasher.combine(height)
        hasher.combine(cursor)
        hasher.combine(photo.width)
        hasher.combine(photo.height)
        hasher.combine(maps)
    }
}

/// A picture panel the terminal shows in pixels: its slot (the panel's place in the view, which
/// names its kitty image), its cells on screen, and what it shows.
public struct PixelPanel: Hashable, Sendable {
    /// 0-based position among the view's panels.
    public var slot: Int
    /// The cells the picture covers.
    public var cells: Rect
    /// What it shows.
    public var key: PanelKey

    public init(slot: Int, cells: Rect, key: PanelKey) {
        self.slot = slot
        self.cells = cells
        self.key = key
    }
}

/// The pixel panels of a frame: which slots to send, which kitty images to delete, and which
/// screen areas ncurses must repaint because a sixel or iTerm picture left them, worked out
/// from what is on screen and what the next frame shows. Pure: `GraphicsScreen` carries it out.
public struct GraphicsPlan: Equatable, Sendable {
    /// Panels to encode (or take from the cache) and write, in slot order.
    public var send: [PixelPanel] = []
    /// Kitty image ids to delete (slots that went away, or every shown slot on a resize).
    public var deleteImages: [UInt32] = []
    /// Areas where a picture was and none is now: ncurses rewrites their cells.
    public var staleAreas: [Rect] = []

    /// The plan from `shown` (slot -> panel on screen) to `next`. `screenCleared`: the
    /// terminal was cleared (first frame, resize, resume), so every panel goes again;
    /// `resized`: kitty images are deleted first, since their cells moved.
    public static func make(shown: [Int: PixelPanel], next: [PixelPanel], graphics: GraphicsProtocol,
                            screenCleared: Bool, resized: Bool) -> GraphicsPlan {
        var plan = GraphicsPlan()
        let nextSlots = Dictionary(next.map { ($0.slot, $0) }, uniquingKeysWith: { a, _ in a })
        if graphics == .kitty && resized {
            plan.deleteImages = shown.keys.sorted().map(KittyPanelIDs.imageID)
        }
        for slot in shown.keys.sorted() {
            guard let old = shown[slot] else { continue }
            let now = nextSlots[slot]
            if now == nil && graphics == .kitty && !plan.deleteImages.contains(KittyPanelIDs.imageID(slot)) {
                plan.deleteImages.append(KittyPanelIDs.imageID(slot))
            }
            if now?.cells != old.cells && !screenCleared { plan.staleAreas.append(old.cells) }
        }
        for panel in next.sorted(by: { $0.slot < $1.slot }) {
            let unchanged = shown[panel.slot] == panel && !screenCleared && !(graphics == .kitty && resized)
            let uncovered = graphics != .kitty && plan.staleAreas.contains { $0.overlaps(panel.cells) }
            if !unchanged || uncovered { plan.send.append(panel) }
        }
        return plan
    }
}

/// The kitty image ids of the explorer's panel slots: 240 + slot, below 256 so that inside
/// tmux the Unicode placeholders can name them with a 256-colour foreground through ncurses.
public enum KittyPanelIDs {
    /// The first id.
    public static let base: UInt32 = 240
    /// Slots that have an id (the compare view has four panels).
    public static let slots = 0..<8

    /// Slot `slot`'s image id.
    public static func imageID(_ slot: Int) -> UInt32 { base + UInt32(slot) }
}
