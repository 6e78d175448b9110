import ArgumentParser
import Foundation
import TUI

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

    @Option(help: "Model weights (.safetensors) for the engine; without, images only.")
    var weights: String?

    func run() throws {
        let collection = try paths.isEmpty
            ? ImageCollection.samples(executable: CommandLine.arguments[0])
            : ImageCollection(paths: paths)
        let names = try ExplorerClasses.resolve(option: classes, file: classesFile, dataset: collection.classes)
        let (engine, problem) = ExplorerEngine.load(weights: weights, classes: names)
        let options = ExplorerOptions(entries: collection.entries, classes: names, engine: engine, modelProblem: problem)
        let status = try Explorer(options: options).run()
        if status != 0 { throw ExitCode(status) }
    }
}
