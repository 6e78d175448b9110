import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

/// Timings of the rectification engine (used by `reclip bench`).
public enum RectifierBenchmark {
    /// Median milliseconds for a new alpha: `raw - alpha * bias` (or the ReCLIP++ decoder's
    /// `base - alpha * slope`), bilinear upsampling to `width` x `height` and the arg-max.
    public static func alphaMilliseconds(classes K: Int = 21, grid: Int = 28, width: Int = 200, height: Int = 120,
                                         repeats: Int = 50) -> Double {
        var rng = SplitMix64(seed: 1)
        let n = K * grid * grid
        let rand = { (rng: inout SplitMix64) in (0..<n).map { _ in Float.random(in: -1...1, using: &rng) } }
        let maps = SegmentationMaps(classNames: (0..<K).map { "class \($0)" }, gridWidth: grid, gridHeight: grid,
                                    raw: rand(&rng), classBias: rand(&rng), spaceBias: rand(&rng), bias: rand(&rng))
        var times: [Double] = []
        var checksum: Int32 = 0
        for i in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let labels = maps.labels(alpha: Float(i % 20) / 10, width: width, height: height)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            checksum &+= labels[i % labels.count]
        }
        _ = checksum
        return times.sorted()[times.count / 2]
    }

    /// Process CPU time in seconds (all threads).
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Seconds per training step (forward and backward through the text tower and the
    /// rectifier, SGD update) for `classes` classes, ViT-B/16 sizes (Cv = 768) on a
    /// `grid` x `grid` feature map, one image per step: medians over `steps` of wall-clock
    /// and process CPU time (the latter is what a busy shared machine does not inflate).
    public static func trainingStepSeconds(variant: RectifierVariant, classes K: Int = 20, grid: Int = 21,
                                           steps: Int = 3) -> (wall: Double, cpu: Double) {
        // CLIP ViT-B/16 sizes with random weights (text: width 512, 12 layers, 8 heads, 77 positions).
        let model = CLIPModel.random(.vitB16, seed: 7)
        let tower = TextTransformer(model: model)
        var rng = SplitMix64(seed: 3)
        let D = tower.embedDim, P = grid * grid, Cv = model.architecture.visionWidth
        let names = (0..<K).map { "class \($0)" }
        let rectifier = Rectifier(untrained: variant, classNames: names, tower: tower, visualWidth: Cv, using: &rng)
        func unit(_ rows: Int, _ cols: Int) -> [Float] {
            l2NormalizeForward((0..<(rows * cols)).map { _ in normalSample(&rng) }, N: rows, C: cols).y
        }
        let classifier = unit(K, D)
        // Features channel-major [D, P], unit length per position.
        let f = unit(P, D)
        var features = [Float](repeating: 0, count: D * P)
        for p in 0..<P { for d in 0..<D { features[d * P + p] = f[p * D + d] } }
        let pos = (0..<(Cv * P)).map { _ in normalSample(&rng) * 0.05 }
        let tokens = (0..<K).map { [400 + $0, endOfTextToken, 0] }
        var trainer = RectifierTrainer(rectifier: rectifier, tower: tower, classifier: classifier, nameTokens: tokens,
                                       positional: pos, gridHeight: grid, gridWidth: grid, logitScale: expf(model.logitScale))
        let batch = [TrainingImage(features: features, pseudoLabels: [0, 1])]
        var walls: [Double] = [], cpus: [Double] = []
        for _ in 0..<steps {
            let noise = [gumbelNoise(count: trainer.noiseCount(), using: &rng)]
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
            trainer.step(batch: batch, noise: noise, learningRate: 0.01)
            walls.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            cpus.append(cpuSeconds() - c0)
        }
        return (walls.sorted()[steps / 2], cpus.sorted()[steps / 2])
    }
}
