import ReCLIP

/// The arg-max masks a frame needs, kept from frame to frame: one alpha step redraws the
/// rectified mask, but the raw (alpha 0) mask, the legend's shares and the other panels ask for
/// masks that did not change. Owned by `Terminal` (one per explorer, used on its thread only);
/// a frame built without one computes every mask afresh, with the same result.
///
/// Maps are recognised by the storage of their arrays: a state copy shares them, a new
/// computation allocates new ones, and each entry holds its maps so that a freed buffer's
/// address cannot come back as another's while the entry lives.
public final class LabelMemo {
    private struct Entry {
        let maps: SegmentationMaps
        let alpha: Float
        let width: Int, height: Int
        let hidden: Set<Int>
        let labels: [Int32]
    }
    private var entries: [Entry] = []

    public init() {}
    /// Masks kept: a frame asks for at most four distinct ones (raw and rectified, at the
    /// panels' size and at the legend's).
    static let capacity = 8

    /// `maps.labels(alpha:width:height:hidden:)`, from the memo when it was computed before.
    public func labels(_ maps: SegmentationMaps, alpha: Float, width: Int, height: Int, hidden: Set<Int>) -> [Int32] {
        if let i = entries.firstIndex(where: {
            $0.alpha == alpha && $0.width == width && $0.height == height && $0.hidden == hidden && Self.same($0.maps, maps)
        }) {
            let e = entries.remove(at: i)
            entries.insert(e, at: 0)
            return e.labels
        }
        let labels = maps.labels(alpha: alpha, width: width, height: height, hidden: hidden)
        entries.insert(Entry(maps: maps, alpha: alpha, width: width, height: height, hidden: hidden, labels: labels), at: 0)
        if entries.count > Self.capacity { entries.removeLast() }
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
