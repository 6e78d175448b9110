import Pixels
import Math
import FileIO
import ModelFiles

/// CLIP's image preprocessing from 8-bit RGB to a normalised [3, H, W] input.
///
/// As OpenAI's `clip.load` transform: resize so the short side is N with PIL's antialiased
/// bicubic filter (bit-exact), centre-crop N x N (for the global embedding), scale to [0, 1],
/// normalise per channel. Dense features take the whole resized image instead of the crop.
///
/// ```swift
/// let input = ImagePreprocessing.denseInput(pixels, shortSide: 448)   // [3, 448, 597] for 4:3
/// let features = model.denseFeatures(input)
/// ```
public enum ImagePreprocessing {
    /// CLIP's per-channel mean (RGB, in [0, 1] units).
    public static let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    /// CLIP's per-channel standard deviation.
    public static let std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// Resizes so the shorter side is `n` pixels (the longer one is floor(n * long / short), as
    /// torchvision's `Resize(n)`); an image whose short side is already `n` is returned as is.
    public static func resizedShortSide(_ image: RGBImage, to n: Int) -> RGBImage {
        precondition(n > 0 && image.width > 0 && image.height > 0, "cannot resize an empty image")
        let short = min(image.width, image.height)
        let long = max(image.width, image.height)
        if short == n { return image }
        let newLong = Int(Double(n * long) / Double(short))
        let (w, h) = image.width <= image.height ? (n, newLong) : (newLong, n)
        let data = antialiasedResize(image.pixels, channels: 3, inWidth: image.width, inHeight: image.height,
                                     outWidth: w, outHeight: h)
        return RGBImage(width: w, height: h, pixels: data)
    }

    /// The centred `size` x `size` crop (offsets round half to even, as torchvision's
    /// `CenterCrop`); the image must be at least that large.
    public static func centerCropped(_ image: RGBImage, size: Int) -> RGBImage {
        precondition(image.width >= size && image.height >= size, "image smaller than the crop")
        let top = Int((Double(image.height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - size) / 2).rounded(.toNearestOrEven))
        var data = [UInt8]()
        data.reserveCapacity(size * size * 3)
        for y in top..<(top + size) {
            let start = (y * image.width + left) * 3
            data += image.pixels[start..<(start + size * 3)]
        }
        return RGBImage(width: size, height: size, pixels: data)
    }

    /// Channel-major [3, H, W] input: x[c, y, x] = (pixel / 255 - mean[c]) / std[c].
    public static func normalized(_ image: RGBImage) -> Tensor {
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            for c in 0..<3 {
                out[c * plane + i] = (Float(image.pixels[i * 3 + c]) / 255 - mean[c]) / std[c]
            }
        }
        return Tensor(shape: [3, image.height, image.width], data: out)
    }

    /// The input of `CLIPModel.encodeImage`: short side to `size`, centre crop, normalise.
    public static func globalInput(_ image: RGBImage, size: Int) -> Tensor {
        normalized(centerCropped(resizedShortSide(image, to: size), size: size))
    }

    /// The input of `CLIPModel.denseFeatures`: short side to `shortSide`, normalise (no crop).
    public static func denseInput(_ image: RGBImage, shortSide: Int) -> Tensor {
        normalized(resizedShortSide(image, to: shortSide))
    }
}
