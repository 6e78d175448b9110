import Foundation

/// The few-image recipe for adapting an existing rectifier (`reclip train --init`, `reclip
/// adapt`): a learning rate well below the from-scratch 0.01, since the start is already a
/// rectifier and a few images would pull it far, and enough epochs that even five images give
/// `targetSteps` steps (batch 1), capped at `maximumEpochs` passes over the same images.
/// Larger folders get one epoch over all their images.
///
/// ```swift
/// let s = AdaptationSchedule(images: 20)   // 5 epochs, 100 steps, lr 0.002
/// config.epochs = s.epochs; config.optimiser.learningRate = s.learningRate
/// ```
public struct AdaptationSchedule: Sendable, Equatable {
    /// Steps the recipe aims at (chosen on the validation world, docs/adaptation.md).
    public static let targetSteps = 100
    /// Most passes over the same images.
    public static let maximumEpochs = 20
    /// Base learning rate (poly decay as in from-scratch training).
    public static let baseLearningRate: Float = 0.002

    public let images: Int
    public let epochs: Int
    public let learningRate: Float
    /// Optimisation steps at batch 1.
    public var steps: Int { images * epochs }

    /// The schedule for `images` training images (at least one).
    public init(images: Int) {
        precondition(images > 0, "an adaptation needs at least one image")
        self.images = images
        let wanted = (Self.targetSteps + images - 1) / images
        epochs = min(Self.maximumEpochs, max(1, wanted))
        learningRate = Self.baseLearningRate
    }
}

extension TrainingConfiguration {
    /// The settings `reclip adapt` picks to adapt `start` (the rectifier in file `url`) to
    /// `images` site images: the start's variant, and the crop size, head and pseudo-label rule
    /// its file records (`reclip train` writes them; the defaults where a file records none,
    /// as the authors' checkpoints do), with the few-image `AdaptationSchedule` and a single
    /// checkpoint at the end.
    ///
    /// ```swift
    /// let c = TrainingConfiguration.adapting(bundled, from: url, images: 15)
    /// c.epochs   // 7: AdaptationSchedule(images: 15).epochs
    /// ```
    public static func adapting(_ start: Rectifier, from url: URL, images: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        let m = start.metadata
        c.variant = start.variant
        c.head = start.trainedHead
        c.initialisation = url
        c.checkpointEvery = 0
        // The file is input: a recorded value outside what `reclip train` accepts is ignored.
        if let text = m["size"], let size = Int(text), (16...4096).contains(size) { c.size = size }
        if let text = m["seed"], let seed = UInt64(text) { c.seed = seed }
        if let rule = m["pseudo_labels"] {
            // `labelRuleDescription`: "threshold 23.0, top 5" (ReCLIP), "crop vote, window 56, step 28,
            // at least 1 vote(s)" (ReCLIP++) or "dense share, at least 0.15" (either).
            let numbers = rule.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Float($0) }
            /// A whole number in `range`, or nil (NaN, infinite, fractional or out of range).
            func whole(_ x: Float, _ range: ClosedRange<Int>) -> Int? {
                guard x.isFinite, x.rounded() == x, x >= Float(range.lowerBound), x <= Float(range.upperBound) else { return nil }
                return Int(x)
            }
            if rule.hasPrefix("threshold"), numbers.count == 2, numbers[0].isFinite, abs(numbers[0]) <= 1000,
               let k = whole(numbers[1], 1...1000) {
                c.labelThreshold = numbers[0]; c.labelTopK = k
            } else if rule.hasPrefix("crop vote"), numbers.count == 3, let window = whole(numbers[0], 8...c.size),
                      let step = whole(numbers[1], 1...window), let votes = whole(numbers[2], 1...10_000) {
                c.cropWindow = window; c.cropStep = step; c.cropMinimumVotes = votes
            } else if rule.hasPrefix("dense share"), numbers.count == 1, numbers[0] > 0, numbers[0] <= 1 {
                c.labelSource = .denseShare; c.labelMinimumShare = numbers[0]
            }
        }
        let schedule = AdaptationSchedule(images: images)
        c.epochs = schedule.epochs
        c.optimiser.learningRate = schedule.learningRate
        return c
    }
}
