import Pixels
import Foundation
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP
@testable import ReCLIP

/// Rectifier files whose shapes do not fit themselves or the CLIP they run with: each once
/// aborted in malloc or read out of bounds, and now gives a one-line error naming the file
/// and the tensor.
final class RectifierFileErrorTests: XCTestCase {
    static let classes = ["cat", "potted plant", "chest of drawers"]
    var directory: URL!

    override func setUpWithError() throws { directory = try scratchFolder("rectifier-errors") }

    /// The fixture rectifier `stem` (reclip, reclippp) rewritten with `edit` applied to its
    /// tensors and metadata; returns the new file.
    func rewritten(_ stem: String, metadata edits: [String: String] = [:],
                   _ edit: (inout [String: Tensor]) -> Void = { _ in }) throws -> URL {
        let source = try SafeTensorsFile(path: reclipFixtures.appendingPathComponent("\(stem).safetensors").path)
        var tensors: [String: Tensor] = [:]
        for name in source.names { tensors[name] = try source.tensor(name) }
        edit(&tensors)
        let url = directory.appendingPathComponent("\(stem)-\(UUID().uuidString).safetensors")
        try SafeTensorsWriter.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                                    metadata: source.metadata.merging(edits) { _, new in new }, to: url.path)
        return url
    }

    func assertMessage(_ error: Error, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(error is RectifierFileError, "\(type(of: error)): \(error)", file: file, line: line)
        XCTAssertEqual("\(error)", expected, file: file, line: line)
        XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
    }

    /// Loading `url` fails with `message` after the path.
    func assertLoadRefused(_ url: URL, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Rectifier.load(from: url, classes: Self.classes), file: file, line: line) {
            assertMessage($0, "\(url.path): \(message)", file: file, line: line)
        }
    }

    /// The file loads, but pairing it with the tiny CLIP fails with `message` after the path.
    func assertPairingRefused(_ url: URL, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try Rectifier.load(from: url, classes: Self.classes)
        XCTAssertThrowsError(try Segmenter(model: try tinyCLIP(), classes: Self.classes, rectifier: r, classifierCache: nil),
                             file: file, line: line) {
            assertMessage($0, "\(url.path): \(message)", file: file, line: line)
        }
    }

    /// A Reference prompt 64 wide against the 32-wide text tower aborted in malloc; one longer
    /// than the context ran the text tower past its positional embedding.
    func testReferencePromptMustFitTheTextTower() throws {
        let wide = try rewritten("reclip") { $0["text_encoder.prompt_token"] = Tensor(zeros: [1, 73, 64]) }
        try assertPairingRefused(wide, "tensor 'text_encoder.prompt_token': the Reference prompt is 64 wide, the CLIP's text tower 32")
        let long = try rewritten("reclippp") { $0["text_encoder.prompt_token"] = Tensor(zeros: [1, 74, 32]) }
        try assertPairingRefused(long, "tensor 'text_encoder.prompt_token': the Reference prompt's 74 tokens, start-of-text and "
                                 + "three name tokens (78) exceed the CLIP's context of 77 tokens")
        let batched = try rewritten("reclip") { $0["text_encoder.prompt_token"] = Tensor(zeros: [2, 73, 32]) }
        assertLoadRefused(batched, "tensor 'text_encoder.prompt_token': shape [2, 73, 32], expected [1, L, W] or [L, W] with L, W > 0")
    }

    /// A running_var shorter than its channel count was read out of bounds; so were the other
    /// BatchNorm vectors and the conv biases.
    func testBatchNormAndBiasLengthsMustBeTheChannelCount() throws {
        for field in ["weight", "bias", "running_mean", "running_var"] {
            let url = try rewritten("reclip") { $0["proj_net.4.\(field)"] = Tensor(zeros: [11]) }
            assertLoadRefused(url, "tensor 'proj_net.4.\(field)': shape [11], expected [12] (the output channels of proj_net.3.weight)")
            let dec = try rewritten("reclippp") { $0["decoder_norm2.\(field)"] = Tensor(zeros: [1, 3]) }
            assertLoadRefused(dec, "tensor 'decoder_norm2.\(field)': shape [1, 3], expected [3] (the output channels of decoder_conv2.weight)")
        }
        let bias = try rewritten("reclip") { $0["proj_net.0.bias"] = Tensor(zeros: [23]) }
        assertLoadRefused(bias, "tensor 'proj_net.0.bias': shape [23], expected [24] (the output channels of proj_net.0.weight)")
        let pe = try rewritten("reclippp") { $0["pe_proj.bias"] = Tensor(zeros: [15]) }
        assertLoadRefused(pe, "tensor 'pe_proj.bias': shape [15], expected [16] (the output channels of pe_proj.weight)")
    }

    /// num_batches_tracked became an Int through a trapping conversion.
    func testBatchesTrackedMustBeOneInteger() throws {
        for value: Float in [.nan, 1e30, -1, 2.5] {
            let url = try rewritten("reclip") { $0["proj_net.7.num_batches_tracked"] = Tensor(shape: [], data: [value]) }
            assertLoadRefused(url, "tensor 'proj_net.7.num_batches_tracked': expected one non-negative integer, found \(value)")
        }
    }

    /// The conv network's shapes: chained channels, odd square kernels, one output per class,
    /// the decoder taking D features and K logits.
    func testConvShapesMustChain() throws {
        let chain = try rewritten("reclip") { $0["proj_net.3.weight"] = Tensor(zeros: [12, 20, 3, 3]) }
        assertLoadRefused(chain, "tensor 'proj_net.3.weight': 20 input channels, but proj_net.0.weight gives 24")
        let even = try rewritten("reclippp") { $0["decoder_conv2.weight"] = Tensor(zeros: [3, 19, 4, 4]) }
        assertLoadRefused(even, "tensor 'decoder_conv2.weight': shape [3, 19, 4, 4], expected [out, in, k, k] with out, in > 0 and an odd kernel k")
        let decoder = try rewritten("reclippp") { $0["decoder_conv2.weight"] = Tensor(zeros: [3, 18, 5, 5]) }
        assertLoadRefused(decoder, "tensor 'decoder_conv2.weight': 18 input channels, expected 19 (the 16 of pe_proj.weight and 3 classes)")
        let classes = try rewritten("reclip") { t in
            t["proj_net.6.weight"] = Tensor(zeros: [4, 12, 3, 3]); t["proj_net.6.bias"] = Tensor(zeros: [4])
            for f in ["weight", "bias", "running_mean", "running_var"] { t["proj_net.7.\(f)"] = Tensor(zeros: [4]) }
        }
        assertLoadRefused(classes, "tensor 'proj_net.6.weight': rectifier has 4 classes, the class list has 3")
        let pe = try rewritten("reclippp") { $0["pe_proj.weight"] = Tensor(zeros: [16, 64, 3, 3]) }
        assertLoadRefused(pe, "tensor 'pe_proj.weight': shape [16, 64, 3, 3], expected [D, Cv, 1, 1] with D, Cv > 0")
    }

    /// The positional projection must take the CLIP's vision width and give its embedding size.
    func testPositionalProjectionMustFitTheVisionTower() throws {
        let reclip = try rewritten("reclip") { $0["proj_net.0.weight"] = Tensor(zeros: [24, 32, 3, 3]) }
        try assertPairingRefused(reclip, "tensor 'proj_net.0.weight': 32 input channels, the CLIP's positional embeddings have 64 (its vision width)")
        let input = try rewritten("reclippp") { $0["pe_proj.weight"] = Tensor(zeros: [16, 32, 1, 1]) }
        try assertPairingRefused(input, "tensor 'pe_proj.weight': 512 values are not [16, 64]: its input channels must be the CLIP's vision width 64")
        let output = try rewritten("reclippp") { t in
            t["pe_proj.weight"] = Tensor(zeros: [8, 64, 1, 1]); t["pe_proj.bias"] = Tensor(zeros: [8])
            t["decoder_conv2.weight"] = Tensor(zeros: [3, 11, 5, 5])
        }
        try assertPairingRefused(output, "tensor 'pe_proj.weight': 8 output channels, the CLIP's joint embedding has 16")
    }

    /// Class names (from the file's metadata) are escaped before they reach the terminal.
    func testNamesFromTheFileAreEscaped() throws {
        let names = ["cat\u{1B}[2J", "potted plant", "chest of drawers"]
        let json = String(data: try JSONSerialization.data(withJSONObject: names), encoding: .utf8)!
        let url = try rewritten("reclip", metadata: ["classes": json])
        assertLoadRefused(url, "trained for classes cat\\x1B[2J,potted plant,chest of drawers, not cat,potted plant,chest of drawers")
        let variant = try rewritten("reclip", metadata: ["variant": "reclip\u{07}\u{9B}"])
        assertLoadRefused(variant, "metadata says variant reclip\\x07\\x9B but the tensors are reclip")
    }

    /// Resuming training from a file whose momentum buffers or step do not fit its rectifier
    /// indexed past the buffers; a rectifier that does not fit the CLIP is refused there too.
    func testResumeChecksTheCheckpoint() throws {
        let model = try tinyCLIP()
        func train(from url: URL) throws {
            var c = TrainingConfiguration()
            c.epochs = 1; c.size = 32
            let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny",
                                  cacheFolder: nil, output: url)
            let classifier = TextClassifier(weights: [Float](repeating: 0, count: 3 * 16), classCount: 3, embedDim: 16)
            _ = try run.train(samples: [TrainingImage(features: [], pseudoLabels: [0])], classifier: classifier, resume: true,
                              progress: { _ in }, shouldStop: { true })
        }
        let momentum = try rewritten("reclip", metadata: ["weights_hash": "tiny"]) {
            $0["momentum.proj_net.0.bias"] = Tensor(zeros: [5])
        }
        XCTAssertThrowsError(try train(from: momentum)) {
            assertMessage($0, "\(momentum.path): tensor 'momentum.proj_net.0.bias': 5 values, the parameter proj_net.0.bias has 24")
        }
        let step = try rewritten("reclip", metadata: ["weights_hash": "tiny", "step": "-3"])
        XCTAssertThrowsError(try train(from: step)) {
            assertMessage($0, "\(step.path): metadata step = '-3' is not a non-negative integer")
        }
        let wide = try rewritten("reclip", metadata: ["weights_hash": "tiny"]) {
            $0["text_encoder.prompt_token"] = Tensor(zeros: [1, 73, 64])
        }
        XCTAssertThrowsError(try train(from: wide)) {
            assertMessage($0, "\(wide.path): tensor 'text_encoder.prompt_token': the Reference prompt is 64 wide, the CLIP's text tower 32")
        }
    }

    /// A cached training sample of another shape, or with labels outside the class list, is
    /// recomputed instead of being indexed past its end.
    func testMisshapenCachedSampleIsRecomputed() throws {
        let model = try tinyCLIP()
        var c = TrainingConfiguration()
        c.size = 32
        let run = TrainingRun(model: model, classes: Self.classes, configuration: c, weightsHash: "tiny",
                              cacheFolder: directory.appendingPathComponent("cache"), output: directory.appendingPathComponent("out.safetensors"))
        let image = directory.appendingPathComponent("image.png")
        XCTAssertTrue(FileManager.default.createFile(atPath: image.path, contents: Data([1, 2, 3])))
        let key = try XCTUnwrap(run.cacheKey(image))
        try FileManager.default.createDirectory(at: key.deletingLastPathComponent(), withIntermediateDirectories: true)
        let expected = 16 * run.gridSide * run.gridSide
        let pixels = RGBImage(width: 32, height: 32, pixels: [UInt8](repeating: 128, count: 32 * 32 * 3))
        let classifier = TextClassifier(weights: [Float](repeating: 0.25, count: 3 * 16), classCount: 3, embedDim: 16)
        for (count, labels) in [(expected - 1, "[0]"), (expected, "[7]"), (expected, "[-1]")] {
            try SafeTensorsWriter.write([("features", Tensor(zeros: [count]))], metadata: ["pseudo_labels": labels], to: key.path)
            let samples = try XCTUnwrap(try run.prepare(images: [image], load: { _ in pixels }, classifier: classifier, progress: { _ in }))
            XCTAssertEqual(samples.first?.features.count, expected)
            XCTAssertTrue(samples.first?.pseudoLabels.allSatisfy { Self.classes.indices.contains($0) } ?? false)
        }
    }

    /// The fixtures themselves fit the tiny CLIP.
    func testFixturesFitTheTinyCLIP() throws {
        let model = try tinyCLIP()
        for stem in ["reclip", "reclippp"] {
            let r = try Rectifier.load(from: reclipFixtures.appendingPathComponent("\(stem).safetensors"), classes: Self.classes)
            XCTAssertNoThrow(try r.checkCompatible(with: model))
            XCTAssertEqual(r.source, reclipFixtures.appendingPathComponent("\(stem).safetensors").path)
        }
    }

    /// Names from a rectifier file pass through `terminalSafe` before they are printed.
    func testErrorDescriptionIsEscaped() {
        let r = RectifierFileError(file: "r.safetensors", tensor: "t\n", problem: "classes a\u{1B}")
        XCTAssertEqual(r.description, #"r.safetensors: tensor 't\x0A': classes a\x1B"#)
    }
}
