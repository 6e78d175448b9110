import Math

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
    public func features(of pixels: RGBPixels, size: Int, includePositionalEmbedding: Bool = false) -> ImageFeatures {
        let resized = ImagePreprocessing.resizedShortSide(pixels, to: size)
        let dense = denseFeatures(ImagePreprocessing.normalized(resized),
                                  includePositionalEmbedding: includePositionalEmbedding)
        let global = encodeImage(ImagePreprocessing.normalized(ImagePreprocessing.centerCropped(resized, size: size)))
        return ImageFeatures(dense: dense, global: global)
    }
}
