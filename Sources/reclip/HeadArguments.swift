import ArgumentParser
import Foundation
import CLIP
import Math
import ReCLIP

/// `--head maskclip|sclip|clearclip|naclip`, parsed by the argument parser (which lists the values in errors).
extension DenseHead: ExpressibleByArgument {}

/// `--precision fp32|bf16`.
extension Precision: ExpressibleByArgument {}

/// `--pseudo-labels global|crop-vote|dense-share`.
extension PseudoLabelSource: ExpressibleByArgument {}

/// `--templates reclip85|imagenet80`.
extension PromptTemplateSet: ExpressibleByArgument {}

/// `--heads maskclip,sclip,...`: one or more dense heads, comma-separated, each once.
struct HeadList: CustomStringConvertible {
    let heads: [DenseHead]

    init(_ heads: [DenseHead]) { self.heads = heads }

    /// Parses the list; an unknown or repeated name is a `ValidationError` naming it.
    init(parsing text: String) throws {
        var heads: [DenseHead] = []
        let valid = DenseHead.allCases.map(\.rawValue).joined(separator: ", ")
        for name in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let h = DenseHead(rawValue: name) else {
                throw ValidationError("--heads \(text): '\(name)' is not a head: use \(valid)")
            }
            guard !heads.contains(h) else { throw ValidationError("--heads \(text): \(name) is listed twice") }
            heads.append(h)
        }
        self.heads = heads
    }

    var description: String { heads.map(\.rawValue).joined(separator: ",") }
}

/// The inference options `segment` and `eval` share: sliding windows and PAMR.
struct InferenceArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Sliding-window inference on the network input: CROP:STRIDE in pixels (1 <= STRIDE <= CROP <= the --size short side, e.g. 224:112 as SCLIP and NACLIP, 448:224 as ClearCLIP); one whole-image forward when absent.", valueName: "crop:stride"))
    var window: String?

    @Option(help: ArgumentHelp("PAMR refinement steps over the image's colours (\(InferenceOptions.pamrStepsRange.lowerBound)...\(InferenceOptions.pamrStepsRange.upperBound); the repositories use 10), dilations 8 and 16, at the image's size (an image over \(InferenceOptions.defaultPAMRMaxSide)x\(InferenceOptions.defaultPAMRMaxSide) pixels at the largest size of its shape within that); off when absent.", valueName: "steps"))
    var pamr: Int?

    @Option(help: ArgumentHelp("Subtract LAMBDA times the head's class-token logits from every pixel's raw logits before any rectification (SegEarth-OV's global-bias removal, which uses 0.3; without a trained rectifier the same as --rectifier cls-subtract --alpha LAMBDA/0.3); 0...1, off when absent.", valueName: "lambda"))
    var clsSubtract: Float?

    @Option(help: ArgumentHelp("Background by probability: a pixel whose most probable class has a probability under P (softmax of the head's logit scale times the logits: 40 SCLIP/NACLIP, 50 ClearCLIP, 100 MaskCLIP) gets the first class, which should then be the background (as in VOC's 21); 0...1, off when absent (SCLIP's prob_thd).", valueName: "p"))
    var backgroundThreshold: Float?

    /// `--background-threshold` as the labels take it, with `head`'s logit scale.
    func backgroundRule(head: DenseHead) -> (scale: Float, threshold: Float)? {
        backgroundThreshold.map { (scale: head.logitScale, threshold: $0) }
    }

    /// λ of `--cls-subtract`, 0 when absent.
    var classTokenSubtraction: Float { clsSubtract ?? 0 }

    /// Refuses `--cls-subtract` beside `--rectifier cls-subtract` (`rectifier`): the same bias twice.
    func check(rectifier: String?) throws {
        if let clsSubtract, rectifier == Rectification.classToken.rawValue {
            throw ValidationError("--cls-subtract \(clsSubtract): --rectifier cls-subtract already subtracts the global logits (scale it with --alpha)")
        }
    }

    /// Largest crop side accepted, in pixels (the --size range).
    static let cropRange = ModelSelection.sizeRange

    func validate() throws {
        _ = try parsedWindow()
        if let pamr { try OptionRange.check(pamr, in: InferenceOptions.pamrStepsRange, "--pamr", unit: "steps") }
        if let clsSubtract { try OptionRange.check(clsSubtract, in: 0...1, "--cls-subtract") }
        if let backgroundThreshold { try OptionRange.check(backgroundThreshold, in: 0...1, "--background-threshold") }
    }

    /// `--window` parsed and range-checked (not yet against the image).
    func parsedWindow() throws -> SlidingWindow? {
        guard let window else { return nil }
        let parts = window.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let crop = Int(parts[0]), let stride = Int(parts[1]) else {
            throw ValidationError("--window \(window): write CROP:STRIDE in pixels, e.g. 224:112")
        }
        try OptionRange.check(crop, in: Self.cropRange, "--window \(window): CROP", unit: "pixels")
        try OptionRange.check(stride, in: 1...crop, "--window \(window): STRIDE",
                              unit: "pixels (at most the crop, so every pixel is covered)")
        return SlidingWindow(crop: crop, stride: stride)
    }

    /// Why the window does not fit images whose short side is `size` (larger than the image), or nil.
    func windowProblem(size: Int) -> String? {
        guard let w = try? parsedWindow(), w.crop > size else { return nil }
        return "--window \(w): CROP \(w.crop) is larger than the image (short side --size \(size)): use 1...\(size)"
    }

    /// The options for images whose short side is resized to `size`.
    func options(size: Int) throws -> InferenceOptions {
        if let problem = windowProblem(size: size) { throw RectifierCommandError(problem) }
        return InferenceOptions(window: try parsedWindow(), pamrSteps: pamr ?? 0)
    }
}
