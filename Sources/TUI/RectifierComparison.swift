import Foundation
import ReCLIP

/// The rectifier an adaptation (`T`) started from and the adapted one, which the compare view
/// shows side by side (`b`): each one's rectified mask at the same alpha on the same image, each
/// captioned with its name and, where there is ground truth, its mIoU.
///
/// The engine always uses one of the two: the starting one while the adapted one is offered
/// (before `y`), the adapted one once it is kept. The maps of the other one are computed in the
/// background by a second engine (`ExplorerEffect.segmentComparison`) and kept here per entry,
/// like `ExplorerState.segmentations`.
///
/// ```swift
/// let c = RectifierComparison(starting: "ReCLIP (bundled)", adapted: "ReCLIP (adapted, 20 images)")
/// c.other.adapted   // true: the engine still uses the bundled rectifier, the adapted one is offered
/// ```
public struct RectifierComparison: Sendable {
    /// The caption of the rectifier the adaptation started from ("ReCLIP (bundled)").
    public var startingName: String
    /// The caption of the adapted rectifier ("ReCLIP (adapted, 20 images)").
    public var adaptedName: String
    /// The method both are named by ("ReCLIP"), carried on to the next adaptation.
    public var method: String
    /// How many adaptations led to the adapted rectifier (1: adapted from the starting one).
    public var round: Int
    /// Whether the engine uses the adapted rectifier (kept with `y`); else the starting one,
    /// and the adapted one is offered.
    public var adaptedInUse = false
    /// Whether the compare view shows the two rectifiers (else raw against rectified).
    public var shown = false
    /// The maps of the rectifier the engine does not use, per entry.
    public var otherMaps: [Int: SegmentationStatus] = [:]

    public init(starting: String, adapted: String, method: String = "ReCLIP", round: Int = 1) {
        startingName = starting
        adaptedName = adapted
        self.method = method
        self.round = round
    }

    /// One of the two rectifiers of one comparison, as the engine's results name the one they
    /// were computed with (a late result from another is ignored).
    public struct Side: Sendable, Equatable {
        /// The comparison's `round`.
        public var round: Int
        /// Whether it is the adapted rectifier (else the starting one).
        public var adapted: Bool
    }

    /// The rectifier whose maps are in `otherMaps`: the one the engine does not use.
    public var other: Side { Side(round: round, adapted: !adaptedInUse) }

    /// The comparison for a new adapted rectifier (of `images` images) made from the engine's
    /// current one: `model` names it the first time ("ReCLIP (bundled)"); after an earlier
    /// adaptation kept with `y` (`previous`), the starting one is that adapted rectifier.
    public static func offered(model: ModelInfo, images: Int, previous: RectifierComparison?) -> RectifierComparison {
        let inUse = previous.flatMap { $0.adaptedInUse ? $0 : nil }
        let method = inUse?.method ?? model.variant
        let round = (inUse?.round ?? 0) + 1
        let starting = inUse?.adaptedName ?? "\(method) (\(model.rectifierName ?? "starting"))"
        let times = round == 1 ? "adapted" : "adapted \(round)x"
        return RectifierComparison(starting: starting, adapted: "\(method) (\(times), \(images) images)",
                                   method: method, round: round)
    }

    /// The maps of the other rectifier for `index`, once computed.
    public func otherDone(_ index: Int) -> SegmentationMaps? {
        if case .done(let maps, _)? = otherMaps[index] { return maps }
        return nil
    }
}
