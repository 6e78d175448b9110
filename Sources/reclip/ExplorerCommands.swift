import ArgumentParser

extension Reclip {
    /// Subcommands of the explorer area.
    static var explorerCommands: [any ParsableCommand.Type] { [] }
}
