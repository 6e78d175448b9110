import Foundation
import Math

/// One CLIP weights file, loaded on first use in the precision asked for and then shared by
/// everything that holds this object: the explorer's engine and the second engine its rectifier
/// comparison runs (`b` after `T`) use one copy of the weights, not two.
///
/// An actor, so two engines asking at once wait for the one load instead of loading twice.
///
/// ```swift
/// let clip = LoadedCLIP(weights: url, precision: .fp32, hashMemo: ClassifierCache.defaultFolder)
/// let (model, hash) = try await clip.modelAndHash()   // loads
/// _ = try await clip.modelAndHash()                   // the same model, nothing read again
/// ```
public actor LoadedCLIP {
    /// The weights file.
    public nonisolated let weights: URL
    /// The image tower's precision asked for (bf16 falls back to fp32 without AVX512_BF16).
    public nonisolated let precision: Precision
    /// The folder that memoises the weights' content hash (`WeightsIdentity`), or nil.
    public nonisolated let hashMemo: URL?
    private var model: CLIPModel?
    private var hash: String?
    /// How many times the weights file has been read into a model (1 after any number of calls
    /// that succeeded).
    public private(set) var loads = 0

    public init(weights: URL, precision: Precision = .fp32, hashMemo: URL?) {
        self.weights = weights
        self.precision = precision
        self.hashMemo = hashMemo
    }

    /// The model and the hex SHA-256 of its file, each computed once. A failure (a missing or
    /// malformed file) is thrown each time it is asked, naming the file.
    public func modelAndHash() throws -> (CLIPModel, String) {
        let model: CLIPModel
        if let loaded = self.model {
            model = loaded
        } else {
            model = try CLIPModel.load(contentsOf: weights.path, precision: precision).model
            loads += 1
            self.model = model
        }
        let hash = try self.hash ?? WeightsIdentity.contentHash(of: weights, memo: hashMemo)
        self.hash = hash
        return (model, hash)
    }
}
