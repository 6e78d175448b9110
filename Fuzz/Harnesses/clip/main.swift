import FuzzSupport
import CLIP
import Math

// CLIP architecture inference: `CLIPModel(contentsOf:)` on a safetensors file in either
// layout (OpenAI or HuggingFace), reading every size off the tensor shapes and the metadata.
// A model that loads and is small runs both towers once, on a short token row and a small
// image, then every dense head (MaskCLIP, SCLIP, ClearCLIP, NACLIP) on two grids, so that a
// shape the inference let through but the forward passes cannot use is found.

let scratch = ScratchFile(name: "clip.safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCLIPCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    scratch.write(fuzzBytes(data, size))
    expectingErrors(naming: scratch.path) {
        let model = try CLIPModel(contentsOf: scratch.path)
        let a = model.architecture
        precondition(a.visionWidth % a.visionHeads == 0 && a.textWidth % a.textHeads == 0, "\(a)")
        // Forward passes only for models whose image is at most 64 pixels a side (the grid is
        // what the positional embedding holds) and whose context is short.
        guard a.imageResolution <= 64, a.contextLength <= 80 else { return }
        let length = min(a.contextLength, 4)
        let ids = (0..<length).map { Int32($0 == length - 1 ? a.vocabularySize - 1 : $0 % a.vocabularySize) }
        let text = try model.encodeText(tokens: [ids])
        precondition(text.shape == [1, a.embedDim], "text features \(text.shape)")
        let side = a.imageResolution
        let image = Tensor(shape: [3, side, side], data: pseudoRandomFloats(3 * side * side, seed: 1))
        let global = model.encodeImage(image)
        precondition(global.shape == [a.embedDim], "image embedding \(global.shape)")
        let dense = model.denseFeatures(image, includePositionalEmbedding: true)
        precondition(dense.features.shape == [a.visionGrid, a.visionGrid, a.embedDim], "dense features \(dense.features.shape)")
        // Every dense head, on the native grid and on one a patch wider (positional embeddings
        // resized), as the explorer and `reclip eval --head` run them.
        let wide = Tensor(shape: [3, side, side + a.patchSize], data: pseudoRandomFloats(3 * side * (side + a.patchSize), seed: 4))
        for input in [image, wide] {
            let heads = model.denseFeatures(input, heads: DenseHead.allCases, includePositionalEmbedding: true)
            for head in DenseHead.allCases {
                let grid = model.patchGrid(input, head: head)
                precondition(heads[head].features.shape == [grid.height, grid.width, a.embedDim],
                             "\(head) features \(heads[head].features.shape) for \(input.shape)")
            }
        }
    }
    return 0
}

runFuzzer(fuzzCLIPCheckpoint)
