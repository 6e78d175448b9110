import Pixels
import Foundation
import Math
import FileIO
import ModelFiles

/// What `CLIPModel.features(of:size:)` computes for one image.
public struct ImageFeatures: Sendable {
    /// MaskCLIP dense features of the whole image, short side resized to the requested size.
    public let dense: DenseFeatures
    /// The global embedding [D] of the centre crop.
    public let global: Tensor
}

extension CLIPModel {
    /// Dense features (whole image, short side resized to `size`) and the global embedding
    /// (centre `size` x `size` crop) of an 8-bit RGB image, with CLIP's preprocessing.
    public func features(of pixels: RGBImage, size: Int, includePositionalEmbedding: Bool = false) -> ImageFeatures {
        let resized = ImagePreprocessing.resizedShortSide(pixels, to: size)
        let dense = denseFeatures(ImagePreprocessing.normalized(resized),
                                  includePositionalEmbedding: includePositionalEmbedding)
        let global = encodeImage(ImagePreprocessing.normalized(ImagePreprocessing.centerCropped(resized, size: size)))
        return ImageFeatures(dense: dense, global: global)
    }

    /// The image-level zero-shot logits [K]: logit scale x cos(global embedding, class
    /// embedding), the global embedding of the image's centre crop at the native resolution
    /// (as CLIP classifies, and as ReCLIP's pseudo labels are made).
    public func zeroShotLogits(_ pixels: RGBImage, classifier: TextClassifier) -> [Float] {
        let g = encodeImage(ImagePreprocessing.globalInput(pixels, size: architecture.visionGrid * architecture.patchSize))
        let e = l2NormalizeForward(g.data, N: 1, C: g.count).y
        let scale = expf(logitScale)
        return matrixProduct(classifier.weights, e, M: classifier.classCount, K: classifier.embedDim, N: 1).map { $0 * scale }
    }
}
