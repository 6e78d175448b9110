import ArgumentParser
import FileIO

/// The `reclip` command: see how CLIP segments an image, where its biases pull it, and
/// what rectifying them changes.
///
/// Each area of the program contributes its subcommands through one static list in its own
/// file (`EngineCommands.swift`, `WeightsCommands.swift`, ...), so that areas stay apart.
@main
struct Reclip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reclip",
        abstract: "CLIP segmentation, its class- and space-preference biases, and their rectification, in your terminal.",
        subcommands: engineCommands + weightsCommands + renderCommands + rectifierCommands
            + worldCommands + explorerCommands,
        defaultSubcommand: explorerCommands.first)

    /// Parses the arguments as the kernel gave them: `CommandLine.arguments` would already have
    /// replaced a non-UTF-8 file name's bytes with U+FFFD, so `argv` is decoded by `PathBytes`
    /// (a name like `caf\xE9.png` reaches `open(2)` byte for byte).
    static func main() async {
        await main(Array(PathBytes.arguments.dropFirst()))
    }
}
