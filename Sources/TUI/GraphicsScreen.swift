import Pixels
import Render

/// What the terminal shows in pixels, and the bytes that change it: the terminal owner hands
/// each frame's pixel panels to `update`, writes the bytes it returns after ncurses' refresh,
/// and lets ncurses repaint the areas it names. A value with no I/O, so every step is tested
/// by reading the bytes.
///
/// Panels are encoded only when their key is new to the cache (`EncodedPanels`, by key, slot
/// and cells), and sent only when the plan says so (`GraphicsPlan`): an alpha step sends the
/// panels whose recipe has alpha in it, nothing else.
///
/// ```swift
/// var screen = GraphicsScreen(setup: setup)
/// let step = screen.update(frame.pixelPanels, screenCleared: false, resized: false) { frame.pixels(for: $0) }
/// ```
public struct GraphicsScreen: Sendable {
    /// What a frame's update did.
    public struct Update: Sendable {
        /// The bytes to write after ncurses' refresh: kitty deletes, then each panel at its place.
        public var bytes: [UInt8] = []
        /// The plan behind them.
        public var plan = GraphicsPlan()
        /// Slots whose pictures were encoded now (the others came from the cache).
        public var encoded: [Int] = []
        /// Slots whose encoding failed, with the reason (they stay blank).
        public var failures: [Int: String] = [:]
    }

    /// The protocol, cell size and tmux facts.
    public let setup: GraphicsSetup
    /// The encoder the panels go through.
    public let encoder: PictureEncoder
    /// The panels on screen, by slot.
    public private(set) var shown: [Int: PixelPanel] = [:]
    /// Encoded pictures kept for reuse.
    var cache: EncodedPanels

    public init(setup: GraphicsSetup, kittyFormat: KittyGraphicsEncoder.Format = .rgb,
                cacheBytes: Int = EncodedPanels.defaultBudget) {
        self.setup = setup
        var encoder = PictureEncoder(graphics: setup.graphics, insideTmux: setup.insideTmux, kittyFormat: kittyFormat)
        encoder.fastPNG = true
        self.encoder = encoder
        cache = EncodedPanels(budget: cacheBytes)
    }

    /// The plan and bytes that take the screen from `shown` to `panels`; `compose` makes a
    /// panel's pixels when its bytes are not cached.
    public mutating func update(_ panels: [PixelPanel], screenCleared: Bool, resized: Bool,
                                compose: (PixelPanel) -> RGBImage) -> Update {
        var step = Update()
        step.plan = GraphicsPlan.make(shown: shown, next: panels, graphics: setup.graphics,
                                      screenCleared: screenCleared, resized: resized)
        for id in step.plan.deleteImages { step.bytes += encoder.delete(imageID: id) }
        let nextSlots = Set(panels.map(\.slot))
        for slot in shown.keys where !nextSlots.contains(slot) { shown[slot] = nil }
        for panel in step.plan.send {
            let name = EncodedPanels.Name(key: panel.key, slot: panel.slot, columns: panel.cells.width, rows: panel.cells.height)
            var bytes = cache[name]
            if bytes == nil {
                do {
                    let encoded = try encoder.encode(compose(panel), columns: panel.cells.width, rows: panel.cells.height,
                                                     imageID: KittyPanelIDs.imageID(panel.slot))
                    cache[name] = encoded
                    bytes = encoded
                    step.encoded.append(panel.slot)
                } catch {
                    // Left blank, and counted as shown so that the next frame does not try again.
                    step.failures[panel.slot] = "\(error)"
                    shown[panel.slot] = panel
                    continue
                }
            }
            step.bytes += encoder.usesPlaceholders ? bytes! : PictureEncoder.positioned(bytes!, column: panel.cells.x, row: panel.cells.y)
            shown[panel.slot] = panel
        }
        return step
    }

    /// Forgets every picture and returns the bytes that take them off the screen (suspend,
    /// quit): the plan to a frame with no panels, carried out whole, so that none is left behind
    /// where leaving ncurses does not switch screens (no alternate screen, or xterm's
    /// `titeInhibit`): kitty images deleted by id (and their pixels freed), sixel and iTerm
    /// pictures blanked (`erasing`).
    public mutating func removeAll() -> [UInt8] {
        let plan = GraphicsPlan.make(shown: shown, next: [], graphics: setup.graphics, screenCleared: false, resized: false)
        shown = [:]
        return plan.deleteImages.flatMap { encoder.delete(imageID: $0) } + erasing(plan)
    }

    /// The bytes that blank `plan`'s stale areas cell by cell (ECH): sixel and iTerm pictures
    /// have no ids and stay until text covers them, and ncurses believes those cells are blank
    /// already. Kitty's go by id (`GraphicsPlan.deleteImages`): nothing to blank.
    public func erasing(_ plan: GraphicsPlan) -> [UInt8] {
        guard setup.graphics != .kitty else { return [] }
        return plan.staleAreas.flatMap { PictureEncoder.erase(column: $0.x, row: $0.y, columns: $0.width, rows: $0.height) }
    }

    /// The Unicode placeholder cells of the kitty panels inside tmux, by panel (none otherwise).
    public func placeholders(for panels: [PixelPanel]) -> [(cells: Rect, placeholder: KittyPlaceholder)] {
        guard encoder.usesPlaceholders else { return [] }
        return panels.compactMap { panel in
            (try? KittyPlaceholder(imageID: KittyPanelIDs.imageID(panel.slot), columns: panel.cells.width,
                                   rows: panel.cells.height, indexedColor: true)).map { (panel.cells, $0) }
        }
    }
}

/// Encoded pictures by what they show, where and as which kitty image, within a byte budget;
/// the least recently used go first.
public struct EncodedPanels: Sendable {
    /// What identifies an encoding: the picture's key, its slot (the kitty image id is in
    /// the bytes) and its size in cells (kitty's `c`/`r`, iTerm's width and height).
    public struct Name: Hashable, Sendable {
        public var key: PanelKey
        public var slot: Int
        public var columns: Int
        public var rows: Int
    }

    /// 64 MiB: a 200 x 60 terminal's four kitty panels in raw RGB are about 6 MiB.
    public static let defaultBudget = 64 << 20

    /// The encodings, within the budget (`ByteBudgetCache`).
    private var cache: ByteBudgetCache<Name, [UInt8]>

    public init(budget: Int) { cache = ByteBudgetCache(budget: budget) }

    /// The bytes the encodings may hold.
    public var budget: Int { cache.budget }
    /// The bytes held.
    public var size: Int { cache.size }
    /// How many encodings are held.
    public var count: Int { cache.count }

    public subscript(name: Name) -> [UInt8]? {
        mutating get { cache[name] }
        set { cache[name] = newValue }
    }
}
