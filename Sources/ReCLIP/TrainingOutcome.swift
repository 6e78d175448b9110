/// What `TrainingRun.train` did: the steps reached (those of the checkpoint when it stopped
/// early, 0 for a shift test, which takes none), and the shift test's one-line verdict when it
/// adapted the start (`SiteShift.summary`, which the file records too).
public struct TrainingOutcome: Sendable, Equatable {
    /// Steps done in total, counting those a resumed checkpoint had done.
    public let steps: Int
    /// The shift test's verdict, for `AdaptationMethod.shiftTest`; nil otherwise.
    public let shiftTest: String?

    public init(steps: Int, shiftTest: String? = nil) {
        self.steps = steps
        self.shiftTest = shiftTest
    }
}
