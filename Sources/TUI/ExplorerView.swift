/// The views of the current image that the explorer switches between (Tab or number keys).
public enum ExplorerView: Int, CaseIterable, Sendable {
    /// Raw CLIP mask and rectified mask side by side.
    case compare = 1
    /// Class-preference and space-preference bias of the selected class.
    case bias = 2
    /// Cells whose class changes when rectifying, over a dimmed image.
    case difference = 3
    /// Image only, mask over image, or ground truth.
    case overlay = 4

    /// The view after this one, wrapping around.
    public var next: ExplorerView {
        ExplorerView(rawValue: rawValue % ExplorerView.allCases.count + 1)!
    }
}
