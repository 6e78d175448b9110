import Math
import FileIO
import ModelFiles

/// A small deterministic generator (SplitMix64) for random weights.
struct WeightGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` values uniform in [-bound, bound).
    mutating func uniform(_ count: Int, bound: Float) -> [Float] {
        (0..<count).map { _ in (Float(next() >> 40) / Float(1 << 23) - 1) * bound }
    }
}

extension CLIPModel {
    /// A model of the given architecture with random weights (uniform, scaled by 1/√fan_in, so
    /// activations stay in range), for benchmarks and tests that need realistic sizes without
    /// a download.
    public static func random(_ arch: CLIPArchitecture, seed: UInt64 = 0) -> CLIPModel {
        var g = WeightGenerator(state: seed)
        func linear(_ inF: Int, _ outF: Int, bias: Bool = true) -> LinearWeights {
            LinearWeights(weight: g.uniform(inF * outF, bound: 1 / Float(inF).squareRoot()),
                          bias: bias ? g.uniform(outF, bound: 0.02) : nil, inFeatures: inF, outFeatures: outF)
        }
        func norm(_ c: Int) -> LayerNormWeights {
            LayerNormWeights(weight: g.uniform(c, bound: 0.1).map { 1 + $0 }, bias: g.uniform(c, bound: 0.1))
        }
        func block(_ c: Int) -> TransformerBlockWeights {
            TransformerBlockWeights(ln1: norm(c), qkv: linear(c, 3 * c), out: linear(c, c), ln2: norm(c),
                                    fc1: linear(c, 4 * c), fc2: linear(4 * c, c))
        }
        let (vw, tw, p, grid) = (arch.visionWidth, arch.textWidth, arch.patchSize, arch.visionGrid)
        let vision = VisionTowerWeights(
            patchEmbedding: g.uniform(vw * 3 * p * p, bound: 1 / Float(3 * p * p).squareRoot()),
            classEmbedding: g.uniform(vw, bound: 0.5),
            positionalEmbedding: g.uniform((1 + grid * grid) * vw, bound: 0.5),
            lnPre: norm(vw), blocks: (0..<arch.visionLayers).map { _ in block(vw) }, lnPost: norm(vw),
            projection: linear(vw, arch.embedDim, bias: false))
        let text = TextTowerWeights(
            tokenEmbedding: g.uniform(arch.vocabularySize * tw, bound: 0.5),
            positionalEmbedding: g.uniform(arch.contextLength * tw, bound: 0.5),
            blocks: (0..<arch.textLayers).map { _ in block(tw) }, lnFinal: norm(tw),
            projection: linear(tw, arch.embedDim, bias: false))
        return CLIPModel(architecture: arch, vision: vision, text: text, logitScale: 4.6052)
    }
}
