import Pixels
import Foundation
import Render
import FileIO
import CLIP
import ReCLIP

/// What the explorer needs from a segmentation engine: maps for one picture and class list.
/// The executable adapts the real engine (CLIP + rectifier) to this; tests use their own.
///
/// ```swift
/// struct Engine: SegmentationEngine {
///     let info = ModelInfo(name: "clip-b16", variant: "ReCLIP", hasRectifier: true)
///     func segment(_ picture: RGBImage, classes: [String], readout: Readout,
///                  progress: @escaping @Sendable (Double) -> Void) async throws -> SegmentationMaps { ... }
/// }
/// ```
public protocol SegmentationEngine: Sendable {
    /// The model as the status line names it.
    var info: ModelInfo { get }
    /// What the engine's results depend on (weights, rectifier, input size), for the dataset
    /// view's cache across runs (`DatasetScoreCache`); nil: nothing is cached.
    var cacheIdentity: String? { get }
    /// Segments `picture` for `classes` as `readout` says (the dense head, then any PAMR
    /// steps), reporting progress in 0...1. Implementations should check `Task.isCancelled`
    /// between stages when they can.
    func segment(_ picture: RGBImage, classes: [String], readout: Readout,
                 progress: @escaping @Sendable (Double) -> Void) async throws -> SegmentationMaps

    /// Adapts the engine's rectifier to `images` without labels (`reclip adapt`'s few-image
    /// schedule) and writes the result to `output`, reporting a phase and progress in 0...1;
    /// stops with `CancellationError` when its task is cancelled. Returns a one-line summary.
    func adapt(images: [URL], output: URL,
               progress: @escaping @Sendable (String, Double) -> Void) async throws -> String

    /// The same engine with another rectifier file (an adapted one), named `variant`.
    func replacingRectifier(with file: URL, variant: String) -> any SegmentationEngine
}

/// Runs the engine one image at a time in the background and remembers its results per image
/// class list and readout, so that coming back to an image (or a head) costs nothing. What it
/// remembers is bounded by `budget` bytes, the least recently used maps going first: maps on
/// the patch grid are kilobytes, maps refined at an image's size (`r`) can be tens of megabytes.
actor SegmentationWorker {
    private let engine: any SegmentationEngine
    private var cache: ByteBudgetCache<String, SegmentationMaps>

    /// The default budget: 512 MiB.
    static let defaultBudget = 512 << 20

    init(engine: any SegmentationEngine, budget: Int = SegmentationWorker.defaultBudget) {
        self.engine = engine
        cache = ByteBudgetCache(budget: budget)
    }

    /// How many results are remembered, and the bytes they hold.
    var cached: (count: Int, bytes: Int) { (cache.count, cache.size) }

    /// The maps for `picture` (from `url`) and `classes`, and the seconds the engine took
    /// (0 when cached). Work whose task was cancelled while waiting its turn is skipped.
    func segment(url: URL, picture: RGBImage, classes: [String], readout: Readout,
                 progress: @escaping @Sendable (Double) -> Void) async throws -> (SegmentationMaps, Double) {
        let key = ([readout.cacheKey, url.path] + classes).joined(separator: "\u{1}")
        if let maps = cache[key] { return (maps, 0) }
        try Task.checkCancellation()
        let start = DispatchTime.now().uptimeNanoseconds
        let maps = try await engine.segment(picture, classes: classes, readout: readout, progress: progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        cache[key] = maps
        return (maps, seconds)
    }
}
