import ArgumentParser
import Datasets
import Foundation
import FileIO
import CLIP
import ReCLIP

/// `reclip reference [--weights W] --rectifier R --images DIR --out R2`: records in a rectifier
/// file where its training images lie in the CLIP's feature space (`FeatureReference`), for a
/// file made before `reclip train` recorded it, or by the authors. The shift test of `reclip
/// adapt` and the explorer's `T` reads it. The rectifier's tensors are copied unchanged. It
/// takes the model options of `adapt`, `eval` and `segment` (`ModelOptions`): without
/// `--weights`, the bundled world model, whose rectifiers `--rectifier reclip` / `reclip++` name.
///
/// ```
/// reclip reference --weights models/world/mini-clip.safetensors --rectifier old.safetensors --images train/ --out new.safetensors
/// ```
struct ReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Record in a rectifier file the class means of its training images' features, which the shift test of reclip adapt reads.")

    @OptionGroup var model: ModelOptions
    @Option(help: "The images the rectifier was trained on (PNG/JPEG; JPEGImages/ inside is used if present).") var images: String
    @Option(help: "Class names, comma-separated: only for a rectifier file that does not record its classes (the authors' .pth).")
    var classes: String?
    @Option(help: "The rectifier file to write, with the reference (atomically; an existing file is kept unless --replace).")
    var out: String
    @Flag(help: "Replace --out if it exists (it may be --rectifier itself).") var replace = false

    func validate() throws {
        if !replace && PathKind.of(out) != nil {
            throw ValidationError("--out \(terminalSafe(out)): the file exists; choose another name or pass --replace")
        }
    }

    func run() throws {
        let selection = try self.model.resolve(defaultSize: 336)
        guard let rectifier = selection.rectifier else {
            throw RectifierCommandError("--rectifier: give the rectifier file to record the reference in (or reclip / reclip++ for the bundled ones)")
        }
        let files = try ImageFolder.list(images)
        let (model, hash, url, start) = try RectifierInputs.start(rectifier, weights: selection.weights,
                                                                  precision: self.model.precision, classes: classes)
        var r = start
        try r.checkCompatible(with: model)
        // The crop size and head the file records (or --size); a run that takes no step reads no pseudo labels.
        var config = self.model.applied(to: TrainingConfiguration.adapting(r, from: url, images: files.count))
        config.adaptation = .shiftTest
        let run = TrainingRun(model: model, classes: r.classNames, configuration: config, weightsHash: hash,
                              cacheFolder: ClassifierCache.defaultFolder, output: PathBytes.fileURL(out))
        let cache = ClassifierCache(weightsHash: hash)
        let classifier = try cache.load(classes: r.classNames)
            ?? cache.classifier(model: model, classes: r.classNames, templates: .reclip85, tokenizer: CLIPTokenizer.shared())
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
        guard let samples = try run.prepare(images: files, load: { try RectifierInputs.pixels($0.path) }, classifier: classifier,
                                            progress: { p in progress?.update("features: \(p.done)/\(p.total)", done: p.done, total: p.total) })
        else { return }
        progress?.finish()
        let reference = try run.featureReference(of: r, samples: samples, classifier: classifier)
        r.featureReference = reference
        try r.save(to: PathBytes.fileURL(out))
        print("recorded the feature reference of \(files.count) images (\(reference.hullVertices.count) of \(reference.classCount) classes "
              + "with at least \(FeatureReference.minimumPatches) patches) in \(terminalSafe(out))")
    }
}
