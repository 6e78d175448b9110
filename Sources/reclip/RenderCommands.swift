import ArgumentParser

extension Reclip {
    /// Subcommands of the render area.
    static var renderCommands: [any ParsableCommand.Type] { [] }
}
