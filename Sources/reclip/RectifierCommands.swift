import ArgumentParser

extension Reclip {
    /// Subcommands of the rectifier area.
    static var rectifierCommands: [any ParsableCommand.Type] { [] }
}
