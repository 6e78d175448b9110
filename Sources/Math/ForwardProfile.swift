import Dispatch

/// Wall time and floating-point work of a forward, summed per kind of operation over every
/// layer: a recorder handed down the one forward path (through the transformer workspace to
/// the blocks and to `attentionForward`), nil when nobody profiles, so that the forward then
/// pays one nil check per operation and computes exactly what it computes unprofiled.
///
/// ```swift
/// let profile = ForwardProfile()
/// let dense = model.denseFeatures(image, profile: profile)   // bit-identical to the unprofiled call
/// profile[.attentionScores].seconds                          // QKᵀ over all layers
/// profile.totalSeconds                                       // the whole forward, `.rest` included
/// ```
///
/// Operations are timed on the calling thread around each kernel call; a kernel that spreads
/// over the cores is timed as a whole (its wall time), and attention, whose three steps
/// interleave inside each worker, splits its wall time in proportion to the time the workers
/// spent in each step. What no operation claims of a forward timed with `measureForward`
/// (positional embeddings, copies, allocation) is `.rest`.
///
/// FLOPs are counted from the shapes at each call: 2mnk per matrix product, and for the
/// element-wise kernels the arithmetic a plain loop does per element, exp counted as one
/// (`Operation.flopsPerElement`).
public final class ForwardProfile {
    /// A kind of operation of the vision forward.
    public enum Operation: String, CaseIterable, Sendable {
        /// im2col and the stride-P convolution's GEMM.
        case patchEmbedding = "patch embedding"
        /// ln_pre, ln_1 and ln_2 (ln_post is in `.head`).
        case layerNorm = "layer norms"
        /// x W_qkvᵀ + b (MaskCLIP's last block: the value rows only).
        case qkvProjection = "qkv projection"
        /// S = q kᵀ / √d per head (bf16: k's packing included).
        case attentionScores = "attention scores QKᵀ"
        /// exp(S - max) and the row sums, and the normalisation applied to the output rows.
        case softmax = "softmax"
        /// e V per head (bf16: v's packing included).
        case attentionValues = "attention x V"
        /// out_proj.
        case outProjection = "out projection"
        /// MLP fc1.
        case fc1 = "MLP fc1"
        /// QuickGELU (or GELU) on fc1's output.
        case activation = "activation"
        /// MLP fc2.
        case fc2 = "MLP fc2"
        /// x + branch, twice per block.
        case residual = "residual adds"
        /// ln_post and the visual projection (patch tokens and the class token).
        case head = "ln_post + projection"
        /// Everything else: class token and positional embeddings, copies, allocation.
        case rest = "rest"

        /// FLOPs per element of the element-wise kernels: LayerNorm 8 (mean 1; variance 3;
        /// centre, scale, weight, bias 4), softmax 4 per score (max, subtract, exp, sum),
        /// the activation 5 (x · 1/(1 + exp(-1.702 x))), a residual add 1, the positional add 1.
        public static let flopsPerElement: [Operation: Double] = [
            .layerNorm: 8, .softmax: 4, .activation: 5, .residual: 1, .rest: 1,
        ]
    }

    /// Seconds and FLOPs of one kind of operation.
    public struct Entry: Sendable {
        public var seconds: Double = 0
        public var flops: Double = 0
        /// Calls recorded (a layer's call counts once; attention's steps once per layer).
        public var calls: Int = 0
    }

    private var entries: [Entry] = Array(repeating: Entry(), count: Operation.allCases.count)
    /// Seconds of the forwards timed with `measureForward`.
    public private(set) var forwardSeconds: Double = 0
    /// How many forwards `measureForward` timed.
    public private(set) var forwards = 0

    public init() {}

    /// The entry of `operation`.
    public subscript(_ operation: Operation) -> Entry {
        entries[Operation.allCases.firstIndex(of: operation)!]
    }

    /// Adds `seconds` and `flops` to `operation`'s entry, as one call.
    public func record(_ operation: Operation, seconds: Double, flops: Double) {
        let i = Operation.allCases.firstIndex(of: operation)!
        entries[i].seconds += seconds
        entries[i].flops += flops
        entries[i].calls += 1
    }

    /// Runs `body` and records its wall time and `flops` under `operation`.
    public func measure<T>(_ operation: Operation, flops: Double, _ body: () throws -> T) rethrows -> T {
        let start = ForwardProfile.now()
        defer { record(operation, seconds: ForwardProfile.now() - start, flops: flops) }
        return try body()
    }

    /// Runs a whole forward in `body`; the part of its wall time that no operation recorded
    /// inside claims goes to `.rest`, so the entries add up to the forward's time.
    public func measureForward<T>(_ body: () throws -> T) rethrows -> T {
        let claimed = totalSeconds
        let start = ForwardProfile.now()
        defer {
            let elapsed = ForwardProfile.now() - start
            let i = Operation.allCases.firstIndex(of: .rest)!
            entries[i].seconds += max(0, elapsed - (totalSeconds - claimed))
            forwardSeconds += elapsed
            forwards += 1
        }
        return try body()
    }

    /// Seconds over all operations.
    public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }
    /// FLOPs over all operations.
    public var totalFLOPs: Double { entries.reduce(0) { $0 + $1.flops } }

    /// A monotonic clock in seconds.
    @inline(__always)
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
}

extension Optional where Wrapped == ForwardProfile {
    /// `body`, timed under `operation` when there is a profile; otherwise only `body` (the FLOP
    /// count is not even evaluated).
    @inline(__always)
    public func measure<T>(_ operation: ForwardProfile.Operation, flops: @autoclosure () -> Double,
                           _ body: () throws -> T) rethrows -> T {
        guard let profile = self else { return try body() }
        return try profile.measure(operation, flops: flops(), body)
    }
}
