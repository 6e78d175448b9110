import ArgumentParser
import ReCLIP

/// `--adaptation steps|decoder-mean|shift-test`.
extension AdaptationMethod: ExpressibleByArgument {}

/// How a rectifier is adapted to a folder (`reclip train --init`, `reclip adapt`): the method,
/// when not the command's default, and the shift test's threshold.
struct AdaptationOptions: ParsableArguments {
    @Option(help: "How the start is adapted: steps (gradient steps of the few-image schedule), shift-test (ReCLIP++ with a feature reference: re-estimate the decoder's BatchNorm statistics on the images where they look shifted in the CLIP's feature space, keep the rectifier where only the scene mix moved) or decoder-mean (steps, then the decoder mean moved by the least-entropy strength; an experiment). Default: reclip adapt, shift-test where the rectifier allows it, else steps; reclip train --init, steps.")
    var adaptation: AdaptationMethod?
    @Option(help: "shift-test: the distance from the images' mean feature to the hull of the rectifier's class means over which they count as a camera shift (0.14: chosen on validation worlds for the bundled CLIP; compared with the jackknife-debiased distance).")
    var shiftThreshold: Float = SiteShift.defaultThreshold

    func validate() throws {
        try OptionRange.check(shiftThreshold, in: 0...2, "--shift-threshold")
    }

    /// `configuration` with these options applied over its default method.
    func applied(to configuration: TrainingConfiguration) -> TrainingConfiguration {
        var c = configuration
        if let adaptation { c.adaptation = adaptation }
        c.shiftThreshold = shiftThreshold
        return c
    }
}
