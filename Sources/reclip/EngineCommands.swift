import ArgumentParser

extension Reclip {
    /// Subcommands of the engine area.
    static var engineCommands: [any ParsableCommand.Type] {
        [FeaturesCommand.self, TextCommand.self, Bench.self]
    }
}
