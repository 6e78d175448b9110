/// Named Float32 tensors in a fixed order: a model's parameters, their gradients, or an
/// optimiser's moments (all three share one layout).
///
/// ```swift
/// var grads = params.zeros()
/// grads[params.index("logit_scale")][0] += 0.5
/// ```
public struct ParameterSet: Sendable {
    public let names: [String]
    public let shapes: [[Int]]
    public var values: [[Float]]
    private let positions: [String: Int]

    public init(layout: [(name: String, shape: [Int])], values: [[Float]]? = nil) {
        names = layout.map(\.name)
        shapes = layout.map(\.shape)
        self.values = values ?? layout.map { [Float](repeating: 0, count: $0.shape.reduce(1, *)) }
        positions = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        precondition(self.values.count == names.count)
    }

    /// The position of a named tensor.
    public func index(_ name: String) -> Int {
        guard let i = positions[name] else { preconditionFailure("no parameter named \(name)") }
        return i
    }

    /// The tensor at position `i`.
    public subscript(_ i: Int) -> [Float] {
        get { values[i] }
        set { values[i] = newValue }
    }

    /// The tensor named `name`.
    public subscript(_ name: String) -> [Float] {
        get { values[index(name)] }
        set { values[index(name)] = newValue }
    }

    /// A set with the same layout, all zeros.
    public func zeros() -> ParameterSet {
        ParameterSet(layout: zip(names, shapes).map { ($0, $1) })
    }

    /// Total number of scalars.
    public var count: Int { values.reduce(0) { $0 + $1.count } }
}
