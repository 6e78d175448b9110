/// What `TrainingRun.train` did: the steps reached (those of the checkpoint when it stopped
/// early, 0 for a shift test, which takes none), and the shift test's one-line verdict when it
/// adapted the start (`SiteShift.summary`, which the file records too), and the mean loss of
/// the last epoch when the run took all of it (`last_epoch_loss` in the file).
public struct TrainingOutcome: Sendable, Equatable {
    /// Steps done in total, counting those a resumed checkpoint had done.
    public let steps: Int
    /// The shift test's verdict, for `AdaptationMethod.shiftTest`; nil otherwise.
    public let shiftTest: String?
    /// The mean training loss over the last epoch's steps, nil when the run stopped early, took
    /// no step or resumed inside its last epoch.
    public let lastEpochLoss: Double?

    public init(steps: Int, shiftTest: String? = nil, lastEpochLoss: Double? = nil) {
        self.steps = steps
        self.shiftTest = shiftTest
        self.lastEpochLoss = lastEpochLoss
    }
}

/// The mean of the losses of a run's last epoch, its 0-based `steps`, summed in step order. It
/// has a mean only when every one of those steps was added with a finite loss: a run resumed
/// inside its last epoch, or stopped before the end, has none.
struct LastEpochLoss: Sendable, Equatable {
    let steps: Range<Int>
    private(set) var sum: Double = 0
    private(set) var count = 0
    private var valid: Bool

    init(steps: Range<Int>, startStep: Int) {
        self.steps = steps
        valid = startStep <= steps.lowerBound
    }

    /// Adds the loss of 0-based `step`; a step outside the last epoch is ignored.
    mutating func add(_ loss: Float, step: Int) {
        guard steps.contains(step) else { return }
        guard loss.isFinite else { valid = false; return }
        sum += Double(loss); count += 1
    }

    var mean: Double? { valid && count == steps.count && count > 0 ? sum / Double(count) : nil }
}
