import Foundation
import XCTest
import TestSupport
import Math
@testable import ModelFiles
@testable import CLIP

/// The goldens of scripts/fixtures/make_heads_fixtures.py (the repositories' own code at pinned
/// commits): Tests/Fixtures/heads/reference.safetensors and the second random model.
enum HeadsFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/heads").standardizedFileURL
    static let reference: SafeTensorsFile = try! SafeTensorsFile(path: directory.appendingPathComponent("reference.safetensors").path)
    static let small: CLIPModel = try! CLIPModel(contentsOf: directory.appendingPathComponent("small-openai.safetensors").path)
    static func tensor(_ name: String) -> Tensor { try! reference.tensor(name) }
    static func has(_ name: String) -> Bool { reference.names.contains(name) }

    /// (model name, model, sizes) of the fixture.
    static var models: [(String, CLIPModel, [String])] {
        [("tiny", CLIPFixture.openAI, ["32x32", "44x38", "48x40"]), ("small", small, ["48x48", "40x56"])]
    }
}

/// Unit rows of [N, D] features.
func normalizedRows(_ t: Tensor) -> Tensor {
    let d = t.shape[t.rank - 1]
    return Tensor(shape: t.shape, data: l2NormalizeForward(t.data, N: t.count / d, C: d).y)
}

final class DenseHeadTests: XCTestCase {
    func testEveryHeadMatchesItsRepositoryAtEverySizeOfBothModels() {
        var checked = 0
        for (m, model, sizes) in HeadsFixture.models {
            for size in sizes {
                let image = HeadsFixture.tensor("\(m).image.\(size)")
                for head in DenseHead.allCases {
                    let key = "\(m).\(head.rawValue).\(size)"
                    let dense = model.denseFeatures(image, head: head)
                    assertClose(normalizedRows(dense.features), HeadsFixture.tensor("\(key).features"), tolerance: 1e-4, key)
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 4 * 5)
    }

    func testLastBlockInputsOutputsPositionalEmbeddingsAndOmegaMatch() {
        for (m, model, sizes) in HeadsFixture.models {
            for size in sizes {
                let image = HeadsFixture.tensor("\(m).image.\(size)")
                let variants = DenseHead.allCases.map { ($0, $0.lastBlock) }
                let (_, _, traces) = model.headFeatures(image, variants: variants, includePositionalEmbedding: false, trace: true)
                for head in DenseHead.allCases {
                    let key = "\(m).\(head.rawValue).\(size)"
                    let trace = traces[head]!
                    // ClearCLIP's and NACLIP's inputs and embeddings are SCLIP's (the generator asserts it).
                    let source = head == .maskclip ? "maskclip" : "sclip"
                    let input = HeadsFixture.tensor("\(m).\(source).\(size).lastBlockInput")
                    assertClose(trace.lastBlockInput, input.data, tolerance: 1e-4, "\(key) lastBlockInput")
                    assertClose(trace.positional, HeadsFixture.tensor("\(m).\(source).\(size).positional"),
                                tolerance: 1e-5, "\(key) positional")
                    assertClose(trace.lastBlockOutput, HeadsFixture.tensor("\(key).lastBlockOutput").data,
                                tolerance: 1e-4, "\(key) lastBlockOutput")
                    if head == .naclip {
                        assertClose(trace.addition ?? [], HeadsFixture.tensor("\(key).addition").data, tolerance: 1e-6,
                                    "\(key) addition")
                    } else {
                        XCTAssertNil(trace.addition, key)
                    }
                }
            }
        }
    }

    func testEachHeadsClassTokenIsItsLastBlockOutputsFirstRowThroughLnPostAndTheProjection() {
        for (m, model, sizes) in HeadsFixture.models {
            let (c, D) = (model.architecture.visionWidth, model.architecture.embedDim)
            for size in sizes {
                let image = HeadsFixture.tensor("\(m).image.\(size)")
                for head in DenseHead.allCases {
                    let key = "\(m).\(head.rawValue).\(size)"
                    var row = Array(HeadsFixture.tensor("\(key).lastBlockOutput").data.prefix(c))
                    var expected = [Float](repeating: 0, count: D)
                    row.withUnsafeMutableBufferPointer { r in
                        model.vision.lnPost.forward(out: r.baseAddress!, inp: r.baseAddress!, rows: 1, eps: model.architecture.layerNormEps)
                        expected.withUnsafeMutableBufferPointer { e in model.vision.projection.forward(out: e.baseAddress!, inp: r.baseAddress!, rows: 1) }
                    }
                    let token = model.denseFeatures(image, head: head).classToken!
                    XCTAssertEqual(token.shape, [D])
                    assertClose(l2NormalizeForward(token.data, N: 1, C: D).y, l2NormalizeForward(expected, N: 1, C: D).y,
                                tolerance: 1e-4, "\(key) class token")
                }
            }
        }
    }

    func testClearCLIPsShippedConfigQueryKeyVariantMatchesItsGolden() {
        for (m, model, sizes) in HeadsFixture.models {
            for size in sizes {
                let image = HeadsFixture.tensor("\(m).image.\(size)")
                let (f, _, traces) = model.headFeatures(image, variants: [(.clearclip, .queryKey)],
                                                        includePositionalEmbedding: false, trace: true)
                let key = "\(m).clearclip_qk.\(size)"
                assertClose(normalizedRows(f[.clearclip]!.features), HeadsFixture.tensor("\(key).features"), tolerance: 1e-4, key)
                assertClose(traces[.clearclip]!.lastBlockOutput, HeadsFixture.tensor("\(key).lastBlockOutput").data,
                            tolerance: 1e-4, key)
                // q-q and q-k differ: the golden tells them apart.
                let qq = normalizedRows(model.denseFeatures(image, head: .clearclip).features)
                XCTAssertNotNil(firstMismatch(qq.data, HeadsFixture.tensor("\(key).features").data, tolerance: 1e-3), key)
            }
        }
    }

    func testGridsFloorForTheRepositoriesAndPadForMaskCLIP() {
        let image = HeadsFixture.tensor("tiny.image.44x38")
        let model = CLIPFixture.openAI
        XCTAssertEqual(model.denseFeatures(image, head: .maskclip).features.shape, [6, 5, 32])
        for head in [DenseHead.sclip, .clearclip, .naclip] {
            XCTAssertEqual(model.denseFeatures(image, head: head).features.shape, [5, 4, 32], head.rawValue)
            let grid = model.patchGrid(image, head: head)
            XCTAssertEqual([grid.height, grid.width], [5, 4], head.rawValue)
        }
    }

    func testSeveralHeadsShareTheTrunkAndGiveEachHeadsOwnFeatures() {
        for (m, model, sizes) in HeadsFixture.models {
            for size in sizes {
                let image = HeadsFixture.tensor("\(m).image.\(size)")
                let all = model.denseFeatures(image, heads: DenseHead.allCases, includePositionalEmbedding: true)
                for head in DenseHead.allCases {
                    let alone = model.denseFeatures(image, head: head, includePositionalEmbedding: true)
                    assertClose(all[head].features, alone.features, tolerance: 1e-6, "\(m) \(size) \(head)")
                    assertClose(all[head].positionalEmbedding!, alone.positionalEmbedding!, tolerance: 0, "\(m) \(size) \(head)")
                    XCTAssertGreaterThan(all.seconds[head]!, 0)
                }
            }
        }
        // 32x32 on the tiny model is the native grid: MaskCLIP joins the shared trunk and still matches.
        let image = HeadsFixture.tensor("tiny.image.32x32")
        let all = CLIPFixture.openAI.denseFeatures(image, heads: [.sclip, .maskclip])
        assertClose(normalizedRows(all[.maskclip].features), HeadsFixture.tensor("tiny.maskclip.32x32.features"), tolerance: 1e-4)
    }

    func testScaleFactorResizeIsNotTheSizeResize() {
        // The two rules differ by up to 0.17 at 48x40 on the tiny model; the size-based one fails the golden.
        let model = CLIPFixture.openAI
        let bySize = model.patchPositionalEmbedding(gridHeight: 6, gridWidth: 5)
        let byScale = model.headPositionalEmbedding(gridHeight: 6, gridWidth: 5)
        let golden = HeadsFixture.tensor("tiny.sclip.48x40.positional")
        assertClose(byScale, golden, tolerance: 1e-5)
        XCTAssertNotNil(firstMismatch(bySize.data, golden.data, tolerance: 0.1))
        assertClose(bySize, HeadsFixture.tensor("tiny.maskclip.48x40.positional"), tolerance: 1e-5)
    }

    func testTheNativeTokenCountKeepsTheStoredEmbeddingAsTheRepositoriesDo() {
        // 64x16 on the tiny model: an 8x2 grid holds 16 tokens, as the native 4x4 does, so
        // interpolate_pos_encoding does not run and the stored rows are laid row-major.
        let model = CLIPFixture.openAI
        let native = model.patchPositionalEmbedding(gridHeight: 4, gridWidth: 4)
        let quirk = model.headPositionalEmbedding(gridHeight: 8, gridWidth: 2)
        XCTAssertEqual(quirk.shape, [64, 8, 2])
        XCTAssertEqual(quirk.data, native.data)
        let image = Tensor(shape: [3, 64, 16], data: (0..<(3 * 64 * 16)).map { Float(($0 * 37) % 101) / 50 - 1 })
        XCTAssertEqual(model.denseFeatures(image, head: .sclip).features.shape, [8, 2, 32])
    }

    func testOmegaIsAGaussianOfPatchDistanceWithAZeroClassRowAndColumn() {
        let omega = naclipAttentionAddition(gridHeight: 2, gridWidth: 3, sigma: 5)
        let L = 7
        for j in 0..<L { XCTAssertEqual(omega[j], 0); XCTAssertEqual(omega[j * L], 0) }
        XCTAssertEqual(omega[1 * L + 1], 1)
        // Patch 0 = (0, 0) and patch 5 = (1, 2): distance² 5.
        assertClose(omega[1 * L + 6], exp(-5.0 / 50), tolerance: 1e-7)
        assertClose(omega[6 * L + 1], exp(-5.0 / 50), tolerance: 1e-7)
    }

    func testAPlantedNaNOrAnotherHeadFailsTheComparison() {
        let image = HeadsFixture.tensor("small.image.40x56")
        let golden = HeadsFixture.tensor("small.naclip.40x56.features")
        var f = normalizedRows(HeadsFixture.small.denseFeatures(image, head: .naclip).features)
        XCTAssertNil(firstMismatch(f.data, golden.data, tolerance: 1e-4))
        f.data[17] = .nan
        XCTAssertEqual(firstMismatch(f.data, golden.data, tolerance: 1e-4)?.index, 17)
        // An all-NaN output fails too (a max-reduction would have passed it).
        XCTAssertNotNil(firstMismatch([Float](repeating: .nan, count: golden.count), golden.data, tolerance: 1e-4))
        // Each head's golden rejects every other head's features.
        for head in DenseHead.allCases where head != .naclip && head != .maskclip {
            let other = normalizedRows(HeadsFixture.small.denseFeatures(image, head: head).features)
            XCTAssertNotNil(firstMismatch(other.data, golden.data, tolerance: 1e-3), head.rawValue)
        }
    }

    func testTemplateSets() {
        XCTAssertEqual(PromptTemplateSet.reclip85.templates.count, 85)
        let openai = PromptTemplateSet.imagenet80.templates
        XCTAssertEqual(openai.count, 80)
        XCTAssertEqual(openai.first, "a bad photo of a {}.")
        XCTAssertEqual(openai.last, "a tattoo of the {}.")
        XCTAssertFalse(openai.contains { $0.contains("in the scene") })
        XCTAssertEqual(DenseHead.maskclip.defaultTemplates, .reclip85)
        for head in [DenseHead.sclip, .clearclip, .naclip] { XCTAssertEqual(head.defaultTemplates, .imagenet80) }
        XCTAssertEqual(DenseHead.allCases.map(\.logitScale), [100, 40, 50, 40])
    }

    func testTheClassifierAveragesTheChosenTemplatesAndTheCacheKeysOnThem() throws {
        let model = CLIPFixture.openAI
        let tokenizer = try CLIPTokenizer.shared()
        let a = try TextClassifier(model: model, classes: ["cat", "dog"], tokenizer: tokenizer, templates: .imagenet80)
        let b = try TextClassifier(model: model, classes: ["cat", "dog"], tokenizer: tokenizer, templates: .reclip85)
        XCTAssertNotNil(firstMismatch(a.weights, b.weights, tolerance: 1e-6))
        // By hand: each of the 80 embeddings normalised, averaged, normalised again.
        let prompts = try tokenizer.tokenize(PromptTemplateSet.imagenet80.templates.map { $0.replacingOccurrences(of: "{}", with: "cat") })
        let e = try model.encodeText(tokens: prompts)
        let n = l2NormalizeForward(e.data, N: 80, C: 32).y
        var mean = [Float](repeating: 0, count: 32)
        for i in 0..<80 { for d in 0..<32 { mean[d] += n[i * 32 + d] / 80 } }
        assertClose(Array(a.weights[0..<32]), l2NormalizeForward(mean, N: 1, C: 32).y, tolerance: 1e-6)

        let folder = try scratchFolder("heads-cache", create: false)
        let cache = ClassifierCache(folder: folder, weightsHash: "abc")
        XCTAssertNotEqual(cache.file(classes: ["cat"], templates: .imagenet80), cache.file(classes: ["cat"], templates: .reclip85))
        try cache.store(a, classes: ["cat", "dog"], templates: .imagenet80)
        XCTAssertNil(cache.load(classes: ["cat", "dog"], templates: .reclip85))
        XCTAssertEqual(cache.load(classes: ["cat", "dog"], templates: .imagenet80)?.weights, a.weights)
    }
}
