import ArgumentParser

extension Reclip {
    /// Subcommands of the world area.
    static var worldCommands: [any ParsableCommand.Type] { [] }
}
