import Foundation

/// The few-image recipe for adapting an existing rectifier (`reclip train --init`, `reclip
/// adapt`, the explorer's `T`), one per variant, each chosen on validation worlds
/// (docs/adaptation.md, "Choosing the schedule"):
///
/// - ReCLIP: batch 1 at a learning rate well below the from-scratch 0.01, since the start is
///   already a rectifier and a few images would pull it far, and enough epochs that even five
///   images give `targetSteps` steps, capped at `maximumEpochs` passes; larger folders get one
///   epoch over all their images.
/// - ReCLIP++: the folder in batches of at most `plusPlusBatch` images and `plusPlusSteps`
///   steps (at least one epoch), at lr 0.001. Its decoder ends in a BatchNorm, and a step at
///   batch 1 both trains on one image's statistics and pulls the running statistics towards
///   single images: on validation that lost 2 to 4.5 points where batches of 20 lost 0.1 to 1.3
///   (and gained 3.1 at dusk). A few large batches are mostly a re-estimate of those statistics
///   on the site.
///
/// ```swift
/// let s = AdaptationSchedule(images: 20)                        // ReCLIP: 5 epochs, batch 1, 100 steps, lr 0.002
/// let p = AdaptationSchedule(images: 20, variant: .reclipPlusPlus)  // 5 epochs, batch 20, 5 steps, lr 0.001
/// config.epochs = s.epochs; config.batchSize = s.batchSize; config.optimiser.learningRate = s.learningRate
/// ```
public struct AdaptationSchedule: Sendable, Equatable {
    /// ReCLIP: steps the recipe aims at.
    public static let targetSteps = 100
    /// ReCLIP: most passes over the same images.
    public static let maximumEpochs = 20
    /// ReCLIP: base learning rate (poly decay as in from-scratch training).
    public static let baseLearningRate: Float = 0.002
    /// ReCLIP++: most images in one batch.
    public static let plusPlusBatch = 20
    /// ReCLIP++: steps the recipe aims at (more when one epoch holds more batches).
    public static let plusPlusSteps = 5
    /// ReCLIP++: base learning rate.
    public static let plusPlusLearningRate: Float = 0.001

    public let images: Int
    public let epochs: Int
    /// Images per step.
    public let batchSize: Int
    public let learningRate: Float
    /// Optimisation steps (the last batch of an epoch may be smaller).
    public var steps: Int {
        var c = TrainingConfiguration(); c.epochs = epochs; c.batchSize = batchSize
        return c.steps(images: images)
    }

    /// The schedule for `images` training images (at least one) and the start's variant.
    public init(images: Int, variant: RectifierVariant = .reclip) {
        precondition(images > 0, "an adaptation needs at least one image")
        self.images = images
        switch variant {
        case .reclip:
            batchSize = 1
            epochs = min(Self.maximumEpochs, max(1, (Self.targetSteps + images - 1) / images))
            learningRate = Self.baseLearningRate
        case .reclipPlusPlus:
            batchSize = min(images, Self.plusPlusBatch)
            let batches = (images + batchSize - 1) / batchSize
            epochs = max(1, (Self.plusPlusSteps + batches - 1) / batches)
            learningRate = Self.plusPlusLearningRate
        }
    }
}

/// How a run that starts from a rectifier (`reclip train --init`, `reclip adapt`, the
/// explorer's `T`) adapts it to its images.
public enum AdaptationMethod: String, Sendable, Equatable, CaseIterable {
    /// Gradient steps: the few-image `AdaptationSchedule`, or the run's own settings.
    case steps
    /// The steps, then the decoder's running mean moved by `DecoderMeanAdaptation`'s
    /// least-entropy strength (ReCLIP++; session 17's experiment, which did not hold across
    /// folder sizes).
    case decoderMean = "decoder-mean"
    /// No steps: `SiteShift` tests the images against the start's `featureReference`; under a
    /// camera shift the decoder's BatchNorm statistics are re-estimated on them
    /// (`DecoderStatistics`), otherwise the start is kept as it is (ReCLIP++ with a reference).
    case shiftTest = "shift-test"
}

extension TrainingConfiguration {
    /// The settings `reclip adapt` picks to adapt `start` (the rectifier in file `url`) to
    /// `images` site images: the start's variant, and the crop size, head and pseudo-label rule
    /// its file records (`reclip train` writes them; the defaults where a file records none,
    /// as the authors' checkpoints do), with the few-image `AdaptationSchedule` and a single
    /// checkpoint at the end. A ReCLIP++ start whose file records its feature reference is
    /// adapted by the shift test (`AdaptationMethod.shiftTest`), any other by the steps: on
    /// validation and test worlds the test's rule was ahead of the steps under every shift and
    /// folder size (docs/adaptation.md, "Session 19").
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
        let schedule = AdaptationSchedule(images: images, variant: start.variant)
        c.epochs = schedule.epochs
        c.batchSize = schedule.batchSize
        c.optimiser.learningRate = schedule.learningRate
        c.adaptation = start.variant == .reclipPlusPlus && start.featureReference != nil ? .shiftTest : .steps
        return c
    }
}
