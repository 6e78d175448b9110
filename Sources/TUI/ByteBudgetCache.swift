import ReCLIP

/// A value that knows how many bytes it holds, for `ByteBudgetCache`.
public protocol ByteSized {
    var byteCount: Int { get }
}

extension Array: ByteSized where Element == UInt8 {
    public var byteCount: Int { count }
}

extension SegmentationMaps: ByteSized {}

/// Values by key within a byte budget: reading or writing a key makes it the most recently
/// used, and after a write the least recently used go until the rest fits (the newest always
/// stays, however large). The one cache of the explorer's encoded pictures (`EncodedPanels`)
/// and of the engine's maps (`SegmentationWorker`).
public struct ByteBudgetCache<Key: Hashable & Sendable, Value: ByteSized & Sendable>: Sendable {
    /// The bytes the cache may hold.
    public let budget: Int
    private var entries: [Key: Value] = [:]
    /// Keys, least recently used first.
    private var order: [Key] = []
    /// The bytes held.
    public private(set) var size = 0

    public init(budget: Int) { self.budget = budget }

    /// How many values are held.
    public var count: Int { entries.count }

    public subscript(key: Key) -> Value? {
        mutating get {
            guard let value = entries[key] else { return nil }
            if let i = order.firstIndex(of: key) { order.remove(at: i) }
            order.append(key)
            return value
        }
        set {
            if let old = entries.removeValue(forKey: key) {
                size -= old.byteCount
                order.removeAll { $0 == key }
            }
            guard let value = newValue else { return }
            entries[key] = value
            order.append(key)
            size += value.byteCount
            while size > budget, order.count > 1 {
                let oldest = order.removeFirst()
                size -= entries.removeValue(forKey: oldest)?.byteCount ?? 0
            }
        }
    }
}
