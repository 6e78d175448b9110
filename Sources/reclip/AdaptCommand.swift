import ArgumentParser
import Datasets
import Foundation
import FileIO
import CLIP
import ReCLIP

/// `reclip adapt --images DIR [--rectifier R] --out R2`: the one command a site runs. It
/// holds out part of the folder, adapts the rectifier to the rest with the few-image schedule
/// (`TrainingConfiguration.adapting`, the settings the rectifier records), writes the result
/// atomically, and prints on the held-out images the class shares raw, before and after, and
/// the mIoU of each where the folder has ground truth.
///
/// ```
/// reclip adapt --images site/ --out site/rectifier-site.safetensors
/// ```
struct AdaptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt",
        abstract: "Adapt a rectifier to a site from a folder of its unlabelled images, and show what changed on a held-out part of it.")

    @Option(help: "The site's images (PNG/JPEG; JPEGImages/ inside is used if present, and SegmentationClass/ masks score the held-out images).")
    var images: String
    @OptionGroup var model: ModelOptions
    @Option(help: "Class names, comma-separated: only for a rectifier file that does not record its classes (the authors' .pth).")
    var classes: String?
    @Option(help: "The adapted rectifier to write (atomically; an existing file is kept unless --replace).")
    var out: String
    @Option(help: "Fraction of the folder's images held out from adaptation and used to show what changed.")
    var holdOut: Double = 0.25
    @Option(help: "Rectification strength on the held-out images: logits = raw - alpha * bias.")
    var alpha: Float = 1
    @Flag(help: "Replace --out if it exists.")
    var replace = false
    @OptionGroup var adapting: AdaptationOptions

    func validate() throws {
        try OptionRange.check(holdOut, in: 0.05...0.9, "--hold-out")
        try OptionRange.check(alpha, in: 0...10, "--alpha")
        if !replace && PathKind.of(out) != nil {
            throw ValidationError("--out \(terminalSafe(out)): the file exists; choose another name or pass --replace")
        }
    }

    func run() throws {
        let bundledVariant = (try? BundledModel.locate(executable: BundledFolder.currentExecutable))?.defaultVariant ?? .reclip
        let selection = try self.model.resolve(defaultSize: 336, bundledRectifier: bundledVariant)
        guard let rectifierPath = selection.rectifier else {
            throw RectifierCommandError("--rectifier: give the rectifier to adapt (a file, or reclip / reclip++ for the bundled ones)")
        }
        guard PathBytes.fileURL(rectifierPath).standardizedFileURL != PathBytes.fileURL(out).standardizedFileURL else {
            throw RectifierCommandError("--out \(out): is the rectifier being adapted; write the adapted one to another file")
        }
        let site = try SiteFolder(path: images, heldOutFraction: holdOut)
        let (clip, hash, startURL, start) = try RectifierInputs.start(rectifierPath, weights: selection.weights,
                                                                      precision: model.precision, classes: classes)
        let config = model.applied(to: adapting.applied(to: TrainingConfiguration.adapting(start, from: startURL,
                                                                                          images: site.training.count)))
        let names = start.classNames
        let method = config.adaptation == .shiftTest
            ? "shift test (threshold \(config.shiftThreshold))"
            : "\(config.epochs) epoch(s), \(config.steps(images: site.training.count)) steps, batch \(config.batchSize), lr \(config.optimiser.learningRate)"
        print("adapting \(rectifierPath) (\(start.variant.rawValue)) to \(site.training.count) images of \(images), "
              + "\(site.heldOut.count) held out: \(method), \(config.size) px")
        let started = Date()
        guard try TrainCommand.run(config, model: clip, hash: hash, classes: names, images: site.training, output: out,
                                   resume: false, terminalOnly: true) != nil else { return }
        let seconds = Date().timeIntervalSince(started)
        let adapted = try Rectifier.load(from: PathBytes.fileURL(out), classes: names, weightsHash: hash)
        if let summary = SiteShift.summary(recordedIn: adapted.metadata) { print(summary) }
        let cache = ClassifierCache(weightsHash: hash)
        let before = try Segmenter(model: clip, classes: names, rectifier: start, classifierCache: cache, head: config.head)
        let after = try Segmenter(model: clip, classes: names, rectifier: adapted, classifierCache: cache, head: config.head)
        let scored = !site.masks.isEmpty && site.classes == names
        if !site.masks.isEmpty && !scored {
            RectifierInputs.stderr("\(images): the masks are not scored: its classes.txt does not list the rectifier's classes "
                                   + "(\(names.joined(separator: ",")))\n")
        }
        let evaluating = isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
        let comparison = try HeldOutComparison.measure(site, before: before, after: after, size: config.size, alpha: alpha,
                                                       groundTruth: scored, progress: { done, total in
            evaluating?.update("held-out images: \(done)/\(total)", done: done, total: total)
        })
        evaluating?.finish()
        print(String(format: "adapted in %.0f s; raw = alpha 0, before = %@, after = %@, both at alpha %g",
                     seconds, startURL.lastPathComponent, PathBytes.fileURL(out).lastPathComponent, alpha))
        print(comparison.table)
    }
}
