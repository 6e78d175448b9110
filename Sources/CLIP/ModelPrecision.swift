import Math

extension CLIPModel {
    /// Bytes the image tower's transformer blocks hold in linear-layer weights (4 a value in fp32,
    /// 2 in bf16), the part that `converted(to: .bf16)` halves.
    public var visionLinearWeightBytes: Int {
        vision.blocks.reduce(0) { sum, b in
            sum + [b.qkv, b.out, b.fc1, b.fc2].reduce(0) { $0 + ($1.bf16?.byteCount ?? 4 * $1.weight.count) }
        }
    }

    /// The precision of the image tower's transformer blocks (the dense-feature path).
    public var precision: Precision { vision.blocks.first?.qkv.precision ?? .fp32 }

    /// The model with the image tower's transformer blocks in `precision` where the CPU allows
    /// it (`Precision.available`), and the fallback's one-line notice. In bf16 the four linear
    /// layers of every vision block hold their weights in bfloat16 only (half the memory);
    /// LayerNorms, biases, the embeddings, the visual projection and the text tower stay float32.
    /// A bf16 model cannot return to fp32 (its float32 weights are gone): reload it.
    /// While it converts, the caller's fp32 model and the new one are both held; to load a file
    /// in bf16, `load(contentsOf:precision:)` converts block by block and never holds both.
    ///
    /// ```swift
    /// let (model, notice) = try CLIPModel(contentsOf: path).converted(to: .bf16)
    /// if let notice { print(notice) }      // on a CPU without AVX512_BF16
    /// ```
    public func converted(to requested: Precision) -> (model: CLIPModel, notice: String?) {
        let (precision, notice) = requested.available
        precondition(precision == .bf16 || self.precision == .fp32, "a bf16 model cannot be converted back to fp32")
        guard precision == .bf16 else { return (self, notice) }
        var model = self
        for i in model.vision.blocks.indices { model.vision.blocks[i].convertToBF16() }
        return (model, notice)
    }
}
