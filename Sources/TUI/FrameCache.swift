import Pixels
import Render
import ReCLIP

/// What one frame of the explorer computes that the next frame asks for again, kept from
/// frame to frame: the photograph resampled to the panels' pixel size (it does not change with
/// alpha), and the arg-max masks (one alpha step redraws the rectified mask, but the raw,
/// alpha-0 mask, the legend's shares and the other panels ask for masks that did not change).
///
/// Owned by `Terminal` (one per explorer, used on its thread only); a frame built without one
/// gets a fresh cache and computes everything afresh, with the same result (`FrameMemoTests`).
///
/// ```swift
/// let cache = FrameCache()
/// let grid = ExplorerFrame(state: state, cache: cache).grid
/// let next = ExplorerFrame(state: stepped, cache: cache).grid   // the photo is not resampled again
/// ```
///
/// Maps are recognised by the storage of their arrays: a state copy shares them, a new
/// computation allocates new ones, and each entry holds its maps so that a freed buffer's
/// address cannot come back as another's while the entry lives.
public final class FrameCache {
    private struct Photo {
        let original: RGBImage
        let width: Int, height: Int
        let resampled: RGBImage
    }
    private struct Labels {
        let maps: SegmentationMaps
        let alpha: Float
        let width: Int, height: Int
        let hidden: Set<Int>
        let labels: [Int32]
    }
    /// The last photo resampled (a view's panels share one size).
    private var photo: Photo?
    /// The masks, most recently used first.
    private var masks: [Labels] = []

    public init() {}

    /// Masks kept: a frame asks for at most four distinct ones (raw and rectified, at the
    /// panels' size and at the legend's).
    static let maskCapacity = 8

    /// `original` area-averaged to `width` x `height` (`AreaResampler`), kept when the same
    /// image was resampled to the same size before.
    public func photo(_ original: RGBImage, width: Int, height: Int) -> RGBImage {
        if let photo, photo.width == width, photo.height == height, photo.original == original { return photo.resampled }
        let resampled = AreaResampler.resample(original, width: width, height: height)
        photo = Photo(original: original, width: width, height: height, resampled: resampled)
        return resampled
    }

    /// `maps.labels(alpha:width:height:hidden:)`, kept when it was computed before.
    public func labels(_ maps: SegmentationMaps, alpha: Float, width: Int, height: Int, hidden: Set<Int>) -> [Int32] {
        if let i = masks.firstIndex(where: {
            $0.alpha == alpha && $0.width == width && $0.height == height && $0.hidden == hidden && Self.same($0.maps, maps)
        }) {
            let e = masks.remove(at: i)
            masks.insert(e, at: 0)
            return e.labels
        }
        let labels = maps.labels(alpha: alpha, width: width, height: height, hidden: hidden)
        masks.insert(Labels(maps: maps, alpha: alpha, width: width, height: height, hidden: hidden, labels: labels), at: 0)
        if masks.count > Self.maskCapacity { masks.removeLast() }
        return labels
    }

    /// Whether `a` and `b` are copies of one computation (the same array storage for every map
    /// the labels depend on).
    static func same(_ a: SegmentationMaps, _ b: SegmentationMaps) -> Bool {
        func storage(_ x: [Float]?) -> UnsafeRawPointer? { x?.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } }
        return a.classNames == b.classNames && a.gridWidth == b.gridWidth && a.gridHeight == b.gridHeight
            && storage(a.raw) == storage(b.raw) && storage(a.bias) == storage(b.bias)
            && storage(a.decoderBase) == storage(b.decoderBase) && storage(a.decoderSlope) == storage(b.decoderSlope)
    }
}
