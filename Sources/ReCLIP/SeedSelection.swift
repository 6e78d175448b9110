import Foundation

/// Which of several runs of one recipe, the same in all but their seed, to keep when no labels
/// say which is best: the run whose last epoch had the lowest mean training loss
/// (`TrainingOutcome.lastEpochLoss`).
///
/// The recipes' seed spread is large (ReCLIP++ on the bundled CLIP: 23.8 to 42.6 validation
/// mIoU over six seeds) and a site has no labels to pick a seed by; the unsupervised loss that
/// trained the rectifier orders the runs close to how their mIoU does (docs/reclip.md, "Keeping
/// a seed without labels"). A run with no recorded loss (stopped, or a non-finite loss) is never
/// kept; among equal losses the first listed is.
public struct SeedSelection: Sendable, Equatable {
    /// One finished run: its seed and its last epoch's mean loss (nil when it has none).
    public struct Run: Sendable, Equatable {
        public let seed: UInt64
        public let lastEpochLoss: Double?
        public init(seed: UInt64, lastEpochLoss: Double?) {
            self.seed = seed
            self.lastEpochLoss = lastEpochLoss
        }
        /// The loss as the record and the command's lines show it: four decimals, or "none".
        public var lossText: String { lastEpochLoss.map { String(format: "%.4f", $0) } ?? "none" }
    }

    public let runs: [Run]
    public init(runs: [Run]) { self.runs = runs }

    /// The run kept: the lowest finite last-epoch loss, the first of equals; nil when no run has one.
    public var kept: Run? {
        var best: Run?
        for run in runs {
            guard let loss = run.lastEpochLoss, loss.isFinite else { continue }
            if let b = best?.lastEpochLoss, b <= loss { continue }
            best = run
        }
        return best
    }

    /// What the kept file records (`seed_selection`): every seed with its loss, then the one
    /// kept, e.g. "lowest last-epoch loss of seeds 0 (1.3793), 1 (none), 2 (1.3719): kept 2".
    public var record: String {
        let each = runs.map { "\($0.seed) (\($0.lossText))" }
        return "lowest last-epoch loss of seeds " + each.joined(separator: ", ") + ": "
            + (kept.map { "kept \($0.seed)" } ?? "none kept")
    }
}
