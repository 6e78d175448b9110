import Foundation
import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP

extension MiniCLIP {
    /// Writes the model as an OpenAI-layout safetensors file with F16 tensors (half the size
    /// of F32; the loader widens them back), atomically. `logit_scale` is stored with shape
    /// [] as in OpenAI's state dict. The head counts go into the metadata (`vision_heads`,
    /// `text_heads`) with the activation and the pooling, so the loader needs no width / 64 guess.
    public func writeHalfPrecision(to path: String, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["vision_heads"] = String(config.visionHeads)
        meta["text_heads"] = String(config.textHeads)
        meta["activation"] = "quick_gelu"
        meta["pooling"] = config.imagePooling.rawValue
        let tensors = parameters.names.indices.map { i in
            (name: parameters.names[i], tensor: Tensor(shape: parameters.shapes[i], data: parameters.values[i]))
        }
        try SafeTensorsWriter.write(tensors, metadata: meta, as: .f16, to: path)
    }
}
