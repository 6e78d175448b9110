import XCTest
import TestSupport
import Math
@testable import CLIP

/// Dense features with the image tower in bf16 against fp32 on the tiny fixture models (both
/// checkpoint layouts, three input sizes): every patch's arg-max class under the fixture's text
/// embeddings agrees, the logits (100 cos) stay within 1.5 of fp32's, and the features are not
/// fp32's (the bf16 path ran). The bound is empirical: the largest deviation measured here is
/// about 0.2 (it comes from bf16's 2^-8 relative rounding of every linear layer's inputs,
/// compounded over the blocks); 1.5 leaves room and still fails for a kernel that drops or
/// misplaces terms, which moves logits by tens.
final class BF16DenseFeatureTests: XCTestCase {
    let models = [("openai", CLIPFixture.openAI), ("huggingface", CLIPFixture.huggingFace)]
    let sizes = ["32x32", "44x38", "64x64"]

    var classifier: TextClassifier {
        let text = CLIPFixture.tensor("text.embeddings")
        return TextClassifier(weights: text.data, classCount: text.shape[0], embedDim: text.shape[1])
    }

    func testBF16AgreesWithFP32() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16 (the fallback test covers it)")
        for (name, fp32) in models {
            let (bf16, notice) = fp32.converted(to: .bf16)
            XCTAssertNil(notice)
            XCTAssertEqual(bf16.precision, .bf16)
            XCTAssertEqual(bf16.visionLinearWeightBytes * 2, fp32.visionLinearWeightBytes, "\(name): bf16 weights hold half the bytes")
            for size in sizes {
                let image = CLIPFixture.tensor("image.\(size)")
                let reference = fp32.denseFeatures(image).features, candidate = bf16.denseFeatures(image).features
                XCTAssertNotEqual(candidate, reference, "\(name) \(size): the bf16 path did not run")
                let agreement = PrecisionAgreement(reference: reference, candidate: candidate, classifier: classifier)
                print("bf16 against fp32, \(name) \(size): \(agreement)")
                XCTAssertEqual(agreement.agreeing, agreement.patches, "\(name) \(size): \(agreement)")
                assertClose(agreement.largestLogitDeviation, 0, tolerance: 1.5, "\(name) \(size): \(agreement)")
                // The other heads' last blocks run through the same linear layers.
                for head in [DenseHead.sclip, .naclip] {
                    let h = PrecisionAgreement(reference: fp32.denseFeatures(image, head: head).features,
                                               candidate: bf16.denseFeatures(image, head: head).features, classifier: classifier)
                    assertClose(h.largestLogitDeviation, 0, tolerance: 1.5, "\(name) \(size) \(head): \(h)")
                }
            }
        }
    }

    /// The portable kernel adds the same products in the same order: a bf16 model gives the
    /// same features bit for bit on either.
    func testPortableKernelGivesTheSameFeatures() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16")
        let bf16 = CLIPFixture.openAI.converted(to: .bf16).model
        let image = CLIPFixture.tensor("image.44x38")
        let fast = bf16.denseFeatures(image).features
        let portable = BF16Kernels.withPortableKernel { bf16.denseFeatures(image).features }
        XCTAssertEqual(fast, portable)
    }

    /// Reading a file straight into bf16 (each block converted as it is read, so the float32
    /// weights are never all held) gives the model converting each block of the loaded one gives,
    /// bit for bit, in both layouts (on the portable kernel, so on any CPU);
    /// `load(contentsOf:precision:)` falls back as `converted(to:)` does without the kernel.
    func testLoadingInBF16EqualsConvertingTheLoadedModel() throws {
        for (file, fp32) in [("tiny-openai.safetensors", CLIPFixture.openAI), ("tiny-hf.safetensors", CLIPFixture.huggingFace)] {
            let converted = BF16Kernels.withPortableKernel { fp32.converted(to: .bf16) }
            let read = try BF16Kernels.withPortableKernel { try CLIPModel.load(contentsOf: CLIPFixture.path(file), precision: .bf16) }
            XCTAssertEqual(read.model.precision, converted.model.precision, file)
            XCTAssertEqual(read.notice, converted.notice, file)
            let direct = try CLIPModel(contentsOf: CLIPFixture.path(file), visionPrecision: .bf16)
            XCTAssertEqual(direct.precision, .bf16, file)
            XCTAssertEqual(direct.visionLinearWeightBytes * 2, fp32.visionLinearWeightBytes, file)
            XCTAssertTrue(direct.vision.blocks.allSatisfy { [$0.qkv, $0.out, $0.fc1, $0.fc2].allSatisfy { $0.weight.isEmpty } },
                          "\(file): no float32 linear weight is kept")
            var expected = fp32   // what converted(to: .bf16) does where the CPU has the kernel
            for i in expected.vision.blocks.indices { expected.vision.blocks[i].convertToBF16() }
            XCTAssertEqual(direct.text.blocks.map(\.qkv.weight), fp32.text.blocks.map(\.qkv.weight), "\(file): the text tower stays fp32")
            for size in sizes {
                let image = CLIPFixture.tensor("image.\(size)")
                let a = BF16Kernels.withPortableKernel { direct.denseFeatures(image).features }
                let b = BF16Kernels.withPortableKernel { expected.denseFeatures(image).features }
                XCTAssertEqual(a, b, "\(file) \(size)")
                XCTAssertNotEqual(a, fp32.denseFeatures(image).features, "\(file) \(size): the bf16 path ran")
            }
        }
    }

    /// Without AVX512_BF16 (forced here), bf16 falls back to fp32 with a one-line notice, and the
    /// features are fp32's bit for bit.
    func testWithoutAVX512BF16TheModelStaysFP32WithANotice() {
        let fp32 = CLIPFixture.openAI
        let (model, notice) = BF16Kernels.withPortableKernel { fp32.converted(to: .bf16) }
        XCTAssertEqual(model.precision, .fp32)
        XCTAssertEqual(model.visionLinearWeightBytes, fp32.visionLinearWeightBytes)
        let line = try? XCTUnwrap(notice)
        XCTAssertEqual(line?.contains("AVX512_BF16"), true)
        XCTAssertEqual(line?.contains("\n"), false)
        let image = CLIPFixture.tensor("image.32x32")
        XCTAssertEqual(model.denseFeatures(image).features, fp32.denseFeatures(image).features)
        XCTAssertNil(Precision.fp32.available.notice)
        XCTAssertEqual(BF16Kernels.withPortableKernel { Precision.bf16.available.precision }, .fp32)
    }

    /// A layer's output range (MaskCLIP's value path takes the last C rows of qkv) gives the
    /// same columns as the whole product, in both precisions.
    func testOutputRangeMatchesTheWholeProduct() {
        var g = SplitMix64(seed: 9)
        let (rows, inF, outF) = (7, 40, 96)
        var layer = LinearWeights(weight: randomArray(inF * outF, &g), bias: randomArray(outF, &g),
                                  inFeatures: inF, outFeatures: outF)
        let x = randomArray(rows * inF, &g)
        for precision in [Precision.fp32, .bf16] {
            if precision == .bf16 { layer.convertToBF16() }
            XCTAssertEqual(layer.precision, precision)
            var whole = [Float](repeating: 0, count: rows * outF), part = [Float](repeating: 0, count: rows * 37)
            layer.forward(out: &whole, inp: x, rows: rows)
            layer.forward(out: &part, inp: x, rows: rows, outputs: 45..<82)
            let expected = (0..<rows).flatMap { r in whole[(r * outF + 45)..<(r * outF + 82)] }
            // bf16: each element is the same sum in the same order; OpenBLAS may block a narrower product differently.
            assertClose(part, expected, tolerance: precision == .bf16 ? 0 : 1e-5, "\(precision)")
        }
    }
}
