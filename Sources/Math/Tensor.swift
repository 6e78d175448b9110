/// A dense, row-major Float32 tensor with value semantics.
///
/// Storage is a Swift array, so copies are copy-on-write and a `Tensor` is `Sendable`.
/// Kernels in this module take raw buffers and explicit sizes (llm.c style); `Tensor`
/// is the value that carries a shape around them.
///
/// ```swift
/// var x = Tensor(zeros: [2, 3])
/// x[1, 2] = 4
/// let y = x.reshaped([3, 2])   // same storage order, new shape
/// ```
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// Row-major element storage; `data.count == shape.reduce(1, *)`.
    public var data: [Float]

    /// Wraps `data` with `shape`; the element counts must agree.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// Number of elements.
    @inlinable public var count: Int { data.count }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The same elements under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Row-major strides of `shape`.
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Element access by a full multi-index.
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    @usableFromInline
    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) != tensor rank \(shape.count)")
        var flat = 0
        for (i, (ix, n)) in zip(index, shape).enumerated() {
            precondition(ix >= 0 && ix < n, "index \(ix) out of range 0..<\(n) in dimension \(i)")
            flat = flat * n + ix
        }
        return flat
    }

}
