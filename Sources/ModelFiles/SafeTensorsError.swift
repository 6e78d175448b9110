import Math
import FileIO
/// Why a safetensors file could not be read or written, in one line naming the file and, when
/// one is at fault, the tensor. Names and values taken from the file reach the terminal
/// through `terminalSafe` (control characters as `\xNN`).
///
/// ```
/// model.safetensors: tensor 'visual.proj': data_offsets [0, 12] hold 12 bytes but F32 [2, 3] needs 24
/// ```
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file's path as given.
    public let file: String
    /// The tensor at fault, when the problem is about one tensor.
    public let tensor: String?
    /// What is wrong, for the person at the keyboard.
    public let problem: String

    public init(file: String, tensor: String? = nil, _ problem: String) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    public var description: String {
        if let tensor { return terminalSafe("\(file): tensor '\(tensor)': \(problem)") }
        return terminalSafe("\(file): \(problem)")
    }
}
