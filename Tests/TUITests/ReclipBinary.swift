import Foundation
import TestSupport

/// The built `reclip` binary run as a child, the way a user's shell runs it: exactly the
/// environment given here, nothing inherited from the test runner.
enum ReclipBinary {
    /// Runs `reclip arguments` with `PATH=/usr/bin:/bin`, `RECLIP_HOME=home` (a fresh path
    /// under the temporary directory when nil, so no test sees another's cached files) and
    /// `environment` on top.
    static func run(_ arguments: [String], home: String? = nil, environment: [String: String] = [:])
        throws -> ChildProcessResult {
        let home = home ?? NSTemporaryDirectory() + "reclip-home-\(UUID().uuidString)"
        return try ChildProcess.run(try TmuxSession.locateReclip(), arguments,
                                    environment: ["PATH": "/usr/bin:/bin", "RECLIP_HOME": home].merging(environment) { $1 })
    }
}
