import Foundation

/// QuickGELU, the activation of OpenAI's CLIP weights, element-wise over `count` values:
/// out = x * sigmoid(1.702 x) = x / (1 + exp(-1.702 x)).  `out` may be `inp`.
public func quickGELUForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
    parallelRanges(count, minimumCount: 1 << 16) { range in
        for i in range {
            let x = inp[i]
            out[i] = x / (1 + expf(-1.702 * x))
        }
    }
}
