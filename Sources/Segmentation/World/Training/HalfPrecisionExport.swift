import Foundation

extension MiniCLIP {
    /// Writes the model as an OpenAI-layout safetensors file with F16 tensors (half the size
    /// of F32; the loader widens them back), atomically. `logit_scale` is stored with shape
    /// [] as in OpenAI's state dict. The head counts go into the metadata (`vision_heads`,
    /// `text_heads`) with the activation, so the loader needs no width / 64 guess.
    public func writeHalfPrecision(to path: String, metadata: [String: String] = [:]) throws {
        var header: [String: Any] = [:]
        var meta = metadata
        meta["vision_heads"] = String(config.visionHeads)
        meta["text_heads"] = String(config.textHeads)
        meta["activation"] = "quick_gelu"
        header["__metadata__"] = meta
        var offset = 0
        for (i, name) in parameters.names.enumerated() {
            let bytes = parameters.values[i].count * 2
            header[name] = ["dtype": "F16", "shape": parameters.shapes[i], "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for values in parameters.values {
            let half = values.map { Float16($0).bitPattern.littleEndian }
            half.withUnsafeBytes { file.append(contentsOf: $0) }
        }
        try SafeTensorsWriter.writeAtomically(file, to: path)
    }
}
