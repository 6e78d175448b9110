import ArgumentParser
import Foundation
import Datasets
import TUI
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

extension Reclip {
    /// Subcommands of the explorer area; the first is the default (`reclip` alone opens it).
    static var explorerCommands: [any ParsableCommand.Type] { [Explore.self] }
}

/// `reclip explore [DIR|FILES...]`: the ncurses explorer.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Browse images and compare raw and rectified CLIP masks in the terminal (the default command).",
        discussion: "With no paths, opens the bundled samples/. A dataset folder (JPEGImages/, SegmentationClass/, classes.txt) adds ground truth and class names. Press ? inside for the keys.")

    @Argument(help: "Images, folders of images, or a VOC-style dataset folder.")
    var paths: [String] = []

    @Option(help: "Comma-separated class names, e.g. \"sky,cat,grass\".")
    var classes: String?

    @Option(help: "A file with one class name per line.")
    var classesFile: String?

    @OptionGroup var model: ModelOptions

    @Option(help: "Which bundled rectifier the bundled model uses: reclip or reclip++ (default: the one chosen on a validation world, in models/world/figures.json).")
    var variant: RectifierVariant?

    @Option(help: "The dense head to start with: maskclip, sclip, clearclip or naclip (h cycles them inside).")
    var head: DenseHead = .maskclip

    @Flag(help: "Start with the maps refined along the image's colours (PAMR, 10 steps; r turns it on and off inside).")
    var pamr = false

    @Flag(help: "Images and ground truth only: load no model, not even the bundled one.")
    var noModel = false

    @OptionGroup var picture: GraphicsOptions


    func run() throws {
        let collection = try paths.isEmpty
            ? ImageCollection.samples(executable: CommandLine.arguments[0])
            : ImageCollection(paths: paths)
        let (engine, problem, trainedClasses) = noModel ? (nil, nil, nil) : ExplorerEngine.load(weights: model.weights, rectifier: model.rectifier, size: model.size,
                                                                    precision: model.precision,
                                                                    bundledVariant: variant)
        let names = try ExplorerClasses.resolve(option: classes, file: classesFile, rectifier: trainedClasses,
                                                dataset: collection.classes)
        let options = ExplorerOptions(entries: collection.entries, classes: names, engine: engine, modelProblem: problem,
                                      groundTruthClasses: collection.classes, graphics: picture.graphics.override,
                                      cellSize: picture.cellSize?.size, head: head, refined: pamr)
        let explorer = Explorer(options: options)
        let status = try explorer.run()
        explorer.endProcessSafely(status: status)
    }
}
