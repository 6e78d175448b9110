import CVectorMath
import Foundation

/// QuickGELU, the activation of OpenAI's CLIP weights, element-wise over `count` values:
/// out = x * sigmoid(1.702 x) = x / (1 + exp(-1.702 x)).  `out` may be `inp`.
public func quickGELUForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    parallelRanges(count, minimumCount: 1 << 16) { range in
        vm_quick_gelu(out + range.lowerBound, inp + range.lowerBound, range.count)
    }
}

/// Array form of `quickGELUForward(out:inp:count:)`.
public func quickGELUForward(_ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: x.count)
    quickGELUForward(out: &y, inp: x, count: x.count)
    return y
}

// Backward: s = sigmoid(1.702 x);  dx = dy * (s + 1.702 * x * s * (1 - s))
/// Gradient of `quickGELUForward` (accumulated into `dx`).
public func quickGELUBackward(dy: [Float], x: [Float], dx: inout [Float]) {
    for i in 0..<x.count {
        let s = 1 / (1 + expf(-1.702 * x[i]))
        dx[i] += dy[i] * (s + 1.702 * x[i] * s * (1 - s))
    }
}

/// `quickGELUBackward` through the vector kernels (AVX2 exp where the CPU has it, split over
/// the cores): the same gradient to about 1e-6, not the same bits. For the bf16 training path,
/// where speed comes before order; the float32 path keeps the scalar loop above.
public func quickGELUBackwardVectorised(dy: [Float], x: [Float], dx: inout [Float]) {
    precondition(dy.count == x.count && dx.count == x.count, "QuickGELU backward: \(dy.count), \(x.count), \(dx.count) values")
    dy.withUnsafeBufferPointer { g in
        x.withUnsafeBufferPointer { v in
            dx.withUnsafeMutableBufferPointer { d in
                let (gp, vp, dp) = (g.baseAddress!, v.baseAddress!, d.baseAddress!)
                parallelRanges(x.count, minimumCount: 1 << 16) { range in
                    vm_quick_gelu_backward(dp + range.lowerBound, gp + range.lowerBound, vp + range.lowerBound, range.count)
                }
            }
        }
    }
}
