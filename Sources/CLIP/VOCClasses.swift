/// PASCAL VOC's classes, spelled as ReCLIP's authors prompt them (their
/// `utils/prompt_engineering.py`: "airplane", "dining table", "potted plant", "tv monitor"),
/// in the dataset's label order. The one VOC class list: evaluation, the explorer's default
/// vocabulary and the benchmarks all prompt VOC with these names.
public enum VOCClasses {
    /// The 20 object classes, labels 1...20 of a VOC mask.
    public static let objects = ["airplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                                 "dining table", "dog", "horse", "motorbike", "person", "potted plant", "sheep",
                                 "sofa", "train", "tv monitor"]

    /// Label 0 and the 20 objects: the 21 classes of VOC with background.
    public static let withBackground = ["background"] + objects
}
