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

    /// One precision's training steps in `trainingSteps`: medians of wall-clock and process CPU
    /// time, and the loss and gradients (all parameters, by sorted name, concatenated) of the
    /// first batch before any update, the same batch and noise for every precision.
    public struct TrainingStepTiming: Sendable {
        /// The text tower's precision that ran (bf16 falls back to fp32 without AVX512_BF16).
        public let precision: Precision
        public let wall: Double, cpu: Double
        public let loss: Float
        public let gradient: [Float]

        /// |g - reference| / |reference| over every parameter's gradient.
        public func gradientDeviation(from reference: TrainingStepTiming) -> Double {
            var d = 0.0, n = 0.0
            for (a, b) in zip(gradient, reference.gradient) { d += Double(a - b) * Double(a - b); n += Double(b) * Double(b) }
            return (d / n).squareRoot()
        }

        /// The cosine between this gradient and `reference`'s.
        public func gradientCosine(with reference: TrainingStepTiming) -> Double {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for (a, b) in zip(gradient, reference.gradient) { ab += Double(a) * Double(b); aa += Double(a) * Double(a); bb += Double(b) * Double(b) }
            return ab / (aa * bb).squareRoot()
        }
    }

    /// Training steps (forward and backward through the text tower and the rectifier, SGD
    /// update) for `classes` classes, ViT-B/16 sizes (Cv = 768) on a `grid` x `grid` feature
    /// map, one image per step, with the text tower in each of `precisions`: `steps` timed steps
    /// each, interleaved (fp32, bf16, fp32, ...) so that a busy machine slows both alike; process
    /// CPU time is what a busy shared machine does not inflate.
    public static func trainingSteps(variant: RectifierVariant, classes K: Int = 20, grid: Int = 21,
                                     precisions: [Precision] = [.fp32], steps: Int = 3) -> [TrainingStepTiming] {
        // CLIP ViT-B/16 sizes with random weights (text: width 512, 12 layers, 8 heads, 77 positions).
        let model = CLIPModel.random(.vitB16, seed: 7)
        var rng = SplitMix64(seed: 3)
        let D = model.architecture.embedDim, P = grid * grid, Cv = model.architecture.visionWidth
        let names = (0..<K).map { "class \($0)" }
        let rectifier = Rectifier(untrained: variant, classNames: names, tower: TextTransformer(model: model),
                                  visualWidth: Cv, using: &rng)
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
        var trainers = precisions.map {
            RectifierTrainer(rectifier: rectifier, tower: TextTransformer(model: model, precision: $0), classifier: classifier,
                             nameTokens: tokens, positional: pos, gridHeight: grid, gridWidth: grid, logitScale: expf(model.logitScale))
        }
        let batch = [TrainingImage(features: features, pseudoLabels: [0, 1])]
        let firstNoise = [gumbelNoise(count: trainers[0].noiseCount(), using: &rng)]
        let first = trainers.indices.map { i -> (Float, [Float]) in
            var probe = trainers[i]   // a copy: its BatchNorm statistics move, the timed trainer's do not
            let (loss, grads) = probe.lossAndGradients(batch: batch, noise: firstNoise)
            return (loss, grads.keys.sorted().flatMap { grads[$0]! })
        }
        var walls = [[Double]](repeating: [], count: trainers.count), cpus = walls
        for _ in 0..<steps {
            let noise = [gumbelNoise(count: trainers[0].noiseCount(), using: &rng)]
            for i in trainers.indices {
                let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
                trainers[i].step(batch: batch, noise: noise, learningRate: 0.01)
                walls[i].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                cpus[i].append(cpuSeconds() - c0)
            }
        }
        return trainers.indices.map { i in
            TrainingStepTiming(precision: trainers[i].tower.precision, wall: walls[i].sorted()[steps / 2],
                               cpu: cpus[i].sorted()[steps / 2], loss: first[i].0, gradient: first[i].1)
        }
    }
}
