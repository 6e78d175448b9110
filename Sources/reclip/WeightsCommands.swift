import ArgumentParser

extension Reclip {
    /// Subcommands of the weights area.
    static var weightsCommands: [any ParsableCommand.Type] { [] }
}
