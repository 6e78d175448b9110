import XCTest
import TestSupport
import Math
import CLIP
import Datasets

/// The bundled model (`models/world/`) with its image tower in bf16 against fp32 on the world
/// samples: at least 99.5 % of the patches (all samples pooled) keep their arg-max class under
/// the world's classifier (ReCLIP's 85 templates), and the largest logit deviation (100 cos) is
/// printed and bounded by 2 (measured: well under 1; the bound only catches a broken path).
final class BF16BundledModelTests: XCTestCase {
    func testBF16AgreesWithFP32OnTheWorldSamples() throws {
        try XCTSkipUnless(BF16Kernels.isAccelerated, "this CPU has no AVX512_BF16 (CLIPTests covers the fallback)")
        let fp32 = try CLIPModel(contentsOf: DefaultModelTests.bundled().weights.path)
        let bf16 = fp32.converted(to: .bf16).model
        XCTAssertEqual(bf16.precision, .bf16)
        let classifier = try TextClassifier(model: fp32, classes: DefaultModelTests.classes, tokenizer: CLIPTokenizer.shared())
        var reference: [Float] = [], candidate: [Float] = []
        let scenes = try DefaultModelTests.sampleScenes()
        XCTAssertFalse(scenes.isEmpty)
        for scene in scenes {
            let input = ImagePreprocessing.denseInput(scene.pixels, shortSide: BundledModel.imageSize)
            reference += fp32.denseFeatures(input).features.data
            candidate += bf16.denseFeatures(input).features.data
        }
        let d = fp32.architecture.embedDim
        let agreement = PrecisionAgreement(reference: Tensor(shape: [reference.count / d, d], data: reference),
                                           candidate: Tensor(shape: [candidate.count / d, d], data: candidate),
                                           classifier: classifier)
        print("bf16 against fp32, bundled model on \(scenes.count) world samples: \(agreement)")
        XCTAssertNotEqual(reference, candidate, "the bf16 path did not run")
        XCTAssertGreaterThanOrEqual(agreement.fraction, 0.995, "\(agreement)")
        assertClose(agreement.largestLogitDeviation, 0, tolerance: 2, "\(agreement)")
    }
}
