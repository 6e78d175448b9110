/// The views of the current image that the explorer switches between (Tab or number keys).
public enum ExplorerView: Int, CaseIterable, Sendable {
    /// Image, ground truth, raw CLIP mask and rectified mask, at one scale.
    case compare = 1
    /// Class-preference and space-preference bias of the selected class.
    case bias = 2
    /// Cells whose class changes when rectifying, over a dimmed image.
    case difference = 3
    /// Image only, mask over image, or ground truth.
    case overlay = 4
    /// The whole folder: per-class IoU raw against rectified, the confusion matrix, and the
    /// images where rectification hurts most.
    case dataset = 5

    /// The view after this one, wrapping around.
    public var next: ExplorerView {
        ExplorerView(rawValue: rawValue % ExplorerView.allCases.count + 1)!
    }

    /// The view before this one, wrapping around.
    public var previous: ExplorerView {
        ExplorerView(rawValue: (rawValue + ExplorerView.allCases.count - 2) % ExplorerView.allCases.count + 1)!
    }

    /// The short name shown in the title bar.
    public var title: String {
        switch self {
        case .compare: return "compare"
        case .bias: return "bias"
        case .difference: return "difference"
        case .overlay: return "overlay"
        case .dataset: return "dataset"
        }
    }

    /// How many pictures the view shows: the compare view is the paper's figure, image |
    /// ground truth (when the dataset has it) | raw | rectified.
    func panelCount(groundTruth: Bool) -> Int {
        switch self {
        case .compare: return groundTruth ? 4 : 3
        case .bias: return 2
        case .difference, .overlay: return 1
        case .dataset: return 0
        }
    }
}

/// What the overlay view (4) shows; `o` cycles through them.
public enum OverlayMode: Int, CaseIterable, Sendable {
    /// The photograph alone.
    case image
    /// The rectified mask blended over the photograph with the chosen opacity.
    case mask
    /// The dataset's ground-truth mask blended over the photograph.
    case groundTruth

    /// The mode after this one, wrapping around.
    public var next: OverlayMode { OverlayMode(rawValue: (rawValue + 1) % OverlayMode.allCases.count)! }

    /// The name shown in the panel caption.
    public var title: String {
        switch self {
        case .image: return "image"
        case .mask: return "mask over image"
        case .groundTruth: return "ground truth"
        }
    }
}
