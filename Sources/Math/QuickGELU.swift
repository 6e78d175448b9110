import Foundation

// QuickGELU (OpenAI CLIP): y = x * sigmoid(1.702 x)
//   dy/dx = s + 1.702 * x * s * (1 - s),  s = sigmoid(1.702 x)

/// x * sigmoid(1.702 x).
public func quickGeluForward(_ x: [Float]) -> [Float] {
    x.map { $0 / (1 + expf(-1.702 * $0)) }
}

/// Gradient of `quickGeluForward` (accumulated).
public func quickGeluBackward(dy: [Float], x: [Float], dx: inout [Float]) {
    for i in 0..<x.count {
        let s = 1 / (1 + expf(-1.702 * x[i]))
        dx[i] += dy[i] * (s + 1.702 * x[i] * s * (1 - s))
    }
}

