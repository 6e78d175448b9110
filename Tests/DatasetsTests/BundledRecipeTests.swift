import Foundation
import XCTest
import TestSupport
import CBLAS
import Pixels
import ModelFiles
import Datasets
import CLIP
import ReCLIP
import SceneWorld

/// The bundled rectifiers are what this code makes (issue 11: "the committed model is what the
/// committed code produces"). Retraining them takes half an hour (`scripts/make_default_model.sh`,
/// which reproduced them bit for bit on 2026-12-01); here a short run of each recipe on the
/// bundled CLIP (the first 16 scenes of the rectifier world 10, two epochs, the bundled settings
/// and seeds) must give the very parameters recorded when the bundled files were last made: their
/// SHA-256 in Tests/Fixtures/world/recipe-fingerprint.json. Any change to what training computes
/// (pseudo labels, features, the text tower, the loss, the order of a sum) changes them; the
/// bundled rectifiers must then be remade with the script and the fingerprint recorded again
/// (`RECLIP_RECORD_RECIPE_FINGERPRINT=1 swift test --filter BundledRecipeTests`, which writes the
/// file and fails, so that a recording never passes for a check).
///
/// The sums depend on OpenBLAS's kernel for the CPU and on the optimiser, so there is one
/// fingerprint per OpenBLAS core, each for the release build (which makes the bundled files). The
/// bundled files were made on the first core recorded (Cooperlake); another core's fingerprint is
/// recorded from code at which an already recorded core's passes, so that every fingerprint is
/// of the same code. Zen's was recorded on 2026-12-02 from commit acb6c67 (which passed on
/// Cooperlake) changed only in where `gemm` cuts products over the cores, which changes no value
/// on Cooperlake's kernel (`ParallelGEMMTests`). Recording adds or
/// replaces the running core's entry and keeps the others (after the bundled files are remade, the
/// other entries are of the old code: remove them). On a core with no entry, or in a debug
/// build, the test says so and skips.
final class BundledRecipeTests: XCTestCase {
    static let fixture = DefaultModelTests.repository.appendingPathComponent("Tests/Fixtures/world/recipe-fingerprint.json")

    /// The recorded fingerprints: per OpenBLAS core, per variant, the SHA-256 of the parameters.
    struct Fingerprints: Codable, Equatable {
        var cores: [String: [String: String]]
    }

    /// The bundled recipe of `variant` (models/world/README.md: its pseudo labels, batch, learning
    /// rate and kept seed) shortened to 16 scenes and two epochs (four steps of eight scenes).
    static func configuration(_ variant: RectifierVariant) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.variant = variant
        c.size = 96
        c.epochs = 2
        c.batchSize = 8
        c.checkpointEvery = 0
        if variant == .reclip {
            c.seed = 4; c.labelSource = .denseShare; c.labelMinimumShare = 0.2; c.optimiser.learningRate = 0.1
        } else {
            c.seed = 2; c.cropWindow = 24; c.cropStep = 12; c.cropMinimumVotes = 3; c.optimiser.learningRate = 0.03
        }
        return c
    }

    /// SHA-256 of the trained parameters (by sorted name, float32 little-endian).
    static func train(_ variant: RectifierVariant, model: CLIPModel, hash: String, classifier: TextClassifier,
                      folder: URL) throws -> String {
        let scenes = WorldGenerator(seed: 10).scenes(0..<16)
        var pictures: [URL: RGBImage] = [:]
        for s in scenes { pictures[folder.appendingPathComponent(String(format: "world_%06d.png", s.index))] = s.image }
        let urls = pictures.keys.sorted { $0.path < $1.path }
        let out = folder.appendingPathComponent("\(variant.rawValue).safetensors")
        let run = TrainingRun(model: model, classes: BundledModel.classes, configuration: configuration(variant),
                              weightsHash: hash, cacheFolder: nil, output: out)
        let samples = try XCTUnwrap(try run.prepare(images: urls, load: { pictures[$0]! }, classifier: classifier, progress: { _ in }))
        var losses: [Float] = []
        try run.train(samples: samples, classifier: classifier, resume: false, progress: { losses.append($0.loss) },
                      shouldStop: { false })
        XCTAssertEqual(losses.count, 4, "\(variant.rawValue): two epochs of two batches")
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(variant.rawValue): losses \(losses)")
        let trained = try Rectifier.load(from: out)
        var h = SHA256()
        for name in trained.parameterNames.sorted() {
            let p = trained.parameter(name)
            XCTAssertTrue(p.allSatisfy(\.isFinite), "\(variant.rawValue): \(name) not finite")
            h.update(Data(name.utf8))
            p.withUnsafeBytes { h.update($0) }
        }
        return h.finalize().hex
    }

    func testAShortRunOfEachBundledRecipeGivesTheRecordedParameters() throws {
        #if DEBUG
        // Unoptimised code sums in other orders (measured: other parameters), and the bundled files
        // are made by the release build: `scripts/test`'s release run is the one that checks them.
        throw XCTSkip("the bundled rectifiers are made by the release build; scripts/test checks their recipe in its release run")
        #endif
        let bundled = try DefaultModelTests.bundled()
        let model = try CLIPModel(contentsOf: bundled.weights.path)
        let hash = try WeightsIdentity.contentHash(of: bundled.weights, memo: nil)
        let folder = try scratchFolder("recipe")
        let classifier = try ClassifierCache(folder: folder, weightsHash: hash)
            .classifier(model: model, classes: BundledModel.classes, templates: .reclip85, tokenizer: CLIPTokenizer.shared())
        let core = String(cString: openblas_get_corename())
        var recorded = try JSONDecoder().decode(Fingerprints.self, from: Data(contentsOf: Self.fixture))
        if ProcessInfo.processInfo.environment["RECLIP_RECORD_RECIPE_FINGERPRINT"] == "1" {
            var measured: [String: String] = [:]
            for v in RectifierVariant.allCases { measured[v.rawValue] = try Self.train(v, model: model, hash: hash, classifier: classifier, folder: folder) }
            recorded.cores[core] = measured
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(recorded).write(to: Self.fixture, options: .atomic)
            XCTFail("recorded \(Self.fixture.path) on core \(core): run the test again without RECLIP_RECORD_RECIPE_FINGERPRINT")
            return
        }
        guard let expected = recorded.cores[core] else {
            let known = recorded.cores.keys.sorted().joined(separator: ", ")
            throw XCTSkip("the fingerprints were computed with OpenBLAS's \(known) kernels, this CPU uses \(core): its sums differ")
        }
        for v in RectifierVariant.allCases {
            let got = try Self.train(v, model: model, hash: hash, classifier: classifier, folder: folder)
            XCTAssertEqual(got, expected[v.rawValue],
                           "\(v.rawValue): a short run of the bundled recipe no longer gives the recorded parameters, so the bundled "
                           + "rectifiers are no longer what this code makes: remake them (scripts/make_default_model.sh) and record "
                           + "the fingerprint again on the core that made them, removing the other cores' entries (see this file)")
        }
    }
}
