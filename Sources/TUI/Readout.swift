import ReCLIP
import CLIP

/// How the explorer reads maps out of CLIP for an image: the dense head (`h` cycles them) and
/// the PAMR steps that refine every map along the image's colours afterwards (`r`: 0 or
/// `refinedSteps`; `reclip segment --pamr` does the same). The worker keys its maps by it, and
/// results computed for another readout are dropped.
public struct Readout: Hashable, Sendable {
    /// The dense head.
    public var head: DenseHead
    /// PAMR steps after the forward (0: the maps stay on the patch grid).
    public var pamrSteps: Int

    /// The steps `r` turns on: the repositories' 10 (SCLIP, NACLIP).
    public static let refinedSteps = 10

    /// The most pixels the explorer refines an image at, 512 x 512 (`InferenceOptions
    /// .pamrMaxPixels`; `reclip segment` and `eval` allow 1024 x 1024): refined maps are kept
    /// per image, about 72 MB for ReCLIP++'s six maps of 12 classes at this size, and no panel
    /// shows more pixels. Images up to this size are refined exactly as `reclip eval --pamr` does.
    public static let maxRefinedPixels = maxRefinedSide * maxRefinedSide
    /// The side of that square.
    public static let maxRefinedSide = 512

    public init(head: DenseHead = .maskclip, pamrSteps: Int = 0) {
        precondition(InferenceOptions.pamrStepsRange.contains(pamrSteps),
                     "PAMR steps \(pamrSteps) outside \(InferenceOptions.pamrStepsRange)")
        self.head = head
        self.pamrSteps = pamrSteps
    }

    /// Whether PAMR refines the maps.
    public var isRefined: Bool { pamrSteps > 0 }

    /// "MaskCLIP" or "MaskCLIP, PAMR 10": the status line's and the protocol's words.
    public var summary: String { head.displayName + (isRefined ? ", PAMR \(pamrSteps)" : "") }

    /// A key for caches of maps or scores: the head's name, and the steps when refined (so
    /// unrefined keys stay what they were before refinement existed).
    public var cacheKey: String { head.rawValue + (isRefined ? "+pamr\(pamrSteps)" : "") }

    /// The engine's options for this readout: one whole-image forward, then the PAMR steps at
    /// most `maxRefinedPixels`.
    public var inferenceOptions: InferenceOptions {
        InferenceOptions(pamrSteps: pamrSteps, pamrMaxPixels: Self.maxRefinedPixels)
    }
}
