import ArgumentParser
import Foundation
import FileIO
import Math
import ModelFiles
import ModelStore
import CLIP
import ReCLIP
import SceneWorld

extension Reclip {
    /// Subcommands of the weights area.
    static var weightsCommands: [any ParsableCommand.Type] { [Weights.self, Tokenize.self] }
}

/// `reclip weights ...`: the local store of CLIP weights and the authors' checkpoints.
struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, fetch and import CLIP weights ($RECLIP_HOME, default ~/.cache/reclip).",
        subcommands: [List.self, Fetch.self, Import.self, Inspect.self])

    /// `reclip weights list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show known and installed models, with sizes and paths.")

        func run() throws {
            let registry = WeightsRegistry()
            print("registry: \(terminalSafe(registry.root.path))")
            for entry in try registry.entries() {
                let state: String
                if let bytes = entry.bytes {
                    state = "present  \(TransferProgress.bytesText(bytes))"
                } else if let partial = entry.partialBytes {
                    state = "partial  \(TransferProgress.bytesText(partial)) (fetch again to resume)"
                } else {
                    state = "missing"
                }
                let kind = entry.isKnown ? "known" : "local"
                print("\(entry.name)  [\(kind)]  \(state)")
                print("    \(terminalSafe(entry.file.path))")
                if let model = WeightsRegistry.known(entry.name) { print("    \(model.summary)") }
                if let sha = entry.recordedSHA256 { print("    sha256 \(sha)" + (entry.hashNote.map { " (\($0))" } ?? "")) }
            }
        }
    }

    /// `reclip weights fetch NAME [--url URL --sha256 HEX]`.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's model.safetensors (resumable, checked against the SHA-256 given or published by the source).")

        @Argument(help: "Registry name, e.g. openai/clip-vit-base-patch16.")
        var name: String

        @Option(help: "Download from this URL instead of the known model's.")
        var url: String?

        @Option(help: "Expected SHA-256 of the file (64 hex digits); without it, the hash the source publishes is used.")
        var sha256: String?

        func run() throws {
            let registry = WeightsRegistry()
            let known = WeightsRegistry.known(name)
            guard let source = url.flatMap(URL.init(string:)) ?? known?.url else {
                throw WeightsRegistry.Failure(description: url == nil
                    ? "'\(name)' is not a known model (see 'reclip weights list'); give --url"
                    : "'\(url!)' is not a URL")
            }
            let entry = registry.entry(name)
            if entry.isPresent && url == nil && sha256 == nil {
                print("\(name) is already present: \(terminalSafe(entry.file.path))")
                return
            }
            let expected = sha256 ?? (url == nil ? known?.sha256 : nil)
            if let partial = entry.partialBytes, partial > 0 {
                FileHandle.standardError.write(Data("resuming \(name) after \(TransferProgress.bytesText(partial))\n".utf8))
            }
            let display = ProgressLine()
            let result = try WeightsDownload(registry: registry, name: name, url: source, expectedSHA256: expected)
                .run(progress: { display.update($0.line(), fraction: $0.fraction) })
            display.finish()
            print("installed \(terminalSafe(result.file.path)) (\(TransferProgress.bytesText(result.bytes)))")
            print("sha256 \(result.sha256) (\(result.verification.note))")
        }
    }

    /// `reclip weights import PATH [--name NAME]`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a local .safetensors file into the registry after checking its header.")

        @Argument(help: "A .safetensors file.")
        var path: String

        @Option(help: "Registry name (default: local/<file name without extension>).")
        var name: String?

        func run() throws {
            let source = PathBytes.fileURL(path)
            let stem = source.deletingPathExtension().lastPathComponent
            let target = name ?? "local/" + (stem == "model" ? source.deletingLastPathComponent().lastPathComponent : stem)
            let entry = try WeightsRegistry().importWeights(from: source, as: target)
            print("imported \(target): \(terminalSafe(entry.file.path)) (\(TransferProgress.bytesText(entry.bytes ?? 0)))")
            if let sha = entry.recordedSHA256 { print("sha256 \(sha)") }
        }
    }

    /// `reclip weights inspect FILE.pth`.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the tensors of a PyTorch checkpoint (.pth), such as the ReCLIP authors'.")

        @Argument(help: "A file written by torch.save.")
        var path: String

        func run() throws {
            let checkpoint = try TorchCheckpoint(contentsOf: PathBytes.fileURL(path))
            let location = checkpoint.location.isEmpty ? "top level" : checkpoint.location.joined(separator: " / ")
            print("\(path): \(checkpoint.keys.count) tensors (state dict at \(location))")
            for key in checkpoint.keys {
                let tensor = checkpoint.tensors[key]!
                print("  \(key)  \(tensor.shape)")
            }
        }
    }
}
