import Foundation
import Math

// Reading and writing rectifiers under the authors' state-dict names (`text_encoder.prompt_token`,
// `proj_net.{0,3,6}.*` convs and `proj_net.{1,4,7}.*` BatchNorms for ReCLIP; `pe_proj.*`,
// `decoder_conv2.*`, `decoder_norm2.*` for ReCLIP++), with or without the `module.` prefix
// their DistributedDataParallel checkpoints carry. Other keys (the frozen CLIP) are ignored.
//
// Our files are safetensors with these names plus JSON metadata: `variant`, `classes` (a JSON
// array), `weights_hash` (of the CLIP weights the rectifier was trained with) and training settings.

/// A rectifier file that cannot be used, phrased for the person at the keyboard: the file and,
/// when one is at fault, the tensor (as the file names it). Names taken from the file reach
/// the terminal through `terminalSafe` (control characters as `\xNN`).
///
/// ```
/// reclip.pth: tensor 'module.proj_net.4.running_var': shape [11], expected [12] (the output channels of proj_net.3.weight)
/// ```
public struct RectifierFileError: Error, CustomStringConvertible, Sendable {
    public let file: String
    /// The tensor at fault, when the problem is about one tensor.
    public let tensor: String?
    public let problem: String
    public init(file: String, tensor: String? = nil, problem: String) {
        self.file = file; self.tensor = tensor; self.problem = problem
    }
    public var description: String {
        if let tensor { return terminalSafe("\(file): tensor '\(tensor)': \(problem)") }
        return terminalSafe("\(file): \(problem)")
    }
}

extension Rectifier {
    /// Builds a rectifier from authors'-layout tensors; the variant is read off the keys.
    public init(authorsTensors raw: [String: Tensor], classNames: [String], file: String,
                metadata: [String: String] = [:]) throws {
        var t: [String: Tensor] = [:]
        for (k, v) in raw { t[k.hasPrefix("module.") ? String(k.dropFirst(7)) : k] = v }
        func get(_ k: String) throws -> Tensor {
            guard let v = t[k] else { throw RectifierFileError(file: file, problem: "missing rectifier tensor \(k)") }
            return v
        }
        func norm(_ p: String) throws -> BatchNormParameters {
            var bn = BatchNormParameters(channels: try get(p + ".weight").count)
            bn.weight = try get(p + ".weight").data; bn.bias = try get(p + ".bias").data
            bn.runningMean = try get(p + ".running_mean").data; bn.runningVar = try get(p + ".running_var").data
            bn.batchesTracked = Int(t[p + ".num_batches_tracked"]?.data.first ?? 0)
            return bn
        }
        func conv(_ c: String, _ n: String) throws -> ConvNormLayer {
            let w = try get(c + ".weight")
            guard w.rank == 4, w.shape[2] == w.shape[3] else {
                throw RectifierFileError(file: file, problem: "\(c).weight has shape \(w.shape), expected [out, in, k, k]")
            }
            return ConvNormLayer(weight: w.data, bias: try get(c + ".bias").data, inChannels: w.shape[1],
                                 outChannels: w.shape[0], kernel: w.shape[2], norm: try norm(n))
        }
        let prompt = try get("text_encoder.prompt_token")
        guard prompt.rank == 3 || prompt.rank == 2 else {
            throw RectifierFileError(file: file, problem: "text_encoder.prompt_token has shape \(prompt.shape)")
        }
        let L = prompt.shape[prompt.rank - 2], W = prompt.shape[prompt.rank - 1]
        let K = classNames.count
        if t["proj_net.0.weight"] != nil {
            let layers = try [(0, 1), (3, 4), (6, 7)].map { try conv("proj_net.\($0.0)", "proj_net.\($0.1)") }
            guard layers[2].outChannels == K else {
                throw RectifierFileError(file: file, problem: "rectifier has \(layers[2].outChannels) classes, the class list has \(K)")
            }
            self.init(variant: .reclip, classNames: classNames, prompt: prompt.data, promptLength: L, textWidth: W,
                      spaceLayers: layers, metadata: metadata)
        } else if t["pe_proj.weight"] != nil {
            let pe = try get("pe_proj.weight")
            let dec = try conv("decoder_conv2", "decoder_norm2")
            guard dec.outChannels == K else {
                throw RectifierFileError(file: file, problem: "rectifier has \(dec.outChannels) classes, the class list has \(K)")
            }
            self.init(variant: .reclipPlusPlus, classNames: classNames, prompt: prompt.data, promptLength: L, textWidth: W,
                      peProjWeight: pe.data, peProjBias: try get("pe_proj.bias").data, decoder: dec, metadata: metadata)
        } else {
            throw RectifierFileError(file: file, problem: "neither proj_net.* (ReCLIP) nor pe_proj.* (ReCLIP++) tensors found")
        }
    }

    /// The rectifier's tensors under the authors' names (no `module.` prefix).
    public func authorsTensors() -> [String: Tensor] {
        var t: [String: Tensor] = ["text_encoder.prompt_token": Tensor(shape: [1, promptLength, textWidth], data: prompt)]
        func put(_ l: ConvNormLayer, _ c: String, _ n: String) {
            t[c + ".weight"] = Tensor(shape: [l.outChannels, l.inChannels, l.kernel, l.kernel], data: l.weight)
            t[c + ".bias"] = Tensor(shape: [l.outChannels], data: l.bias)
            t[n + ".weight"] = Tensor(shape: [l.outChannels], data: l.norm.weight)
            t[n + ".bias"] = Tensor(shape: [l.outChannels], data: l.norm.bias)
            t[n + ".running_mean"] = Tensor(shape: [l.outChannels], data: l.norm.runningMean)
            t[n + ".running_var"] = Tensor(shape: [l.outChannels], data: l.norm.runningVar)
            t[n + ".num_batches_tracked"] = Tensor(shape: [], data: [Float(l.norm.batchesTracked)])
        }
        switch variant {
        case .reclip:
            for (i, l) in spaceLayers.enumerated() { put(l, "proj_net.\(3 * i)", "proj_net.\(3 * i + 1)") }
        case .reclipPlusPlus:
            let D = peProjBias.count
            t["pe_proj.weight"] = Tensor(shape: [D, peProjWeight.count / D, 1, 1], data: peProjWeight)
            t["pe_proj.bias"] = Tensor(shape: [D], data: peProjBias)
            if let decoder { put(decoder, "decoder_conv2", "decoder_norm2") }
        }
        return t
    }

    /// Writes the rectifier as safetensors with its metadata (atomically); `extra` tensors
    /// (training state such as momentum buffers) are stored beside it and ignored by `load`.
    public func save(to url: URL, extra: [String: Tensor] = [:]) throws {
        var meta = metadata
        meta["variant"] = variant.rawValue
        meta["classes"] = String(data: try JSONSerialization.data(withJSONObject: classNames), encoding: .utf8)
        let all = authorsTensors().merging(extra) { a, _ in a }
        let tensors = all.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
        try SafeTensorsWriter.write(tensors, metadata: meta, to: url.path)
    }

    /// Loads a rectifier: our safetensors files (written by `save(to:)`, or any safetensors file
    /// with the authors' keys) or the authors' `.pth` checkpoints (torch.save, `module.` prefix).
    /// `classes` and `weightsHash`, when given, must match what the file records: a mismatch is
    /// an error naming what differs. A `.pth` records neither, so `classes` is required for it.
    public static func load(from url: URL, classes: [String]? = nil, weightsHash: String? = nil) throws -> Rectifier {
        if url.pathExtension.lowercased() == "pth" || url.pathExtension.lowercased() == "pt" {
            let checkpoint = try TorchCheckpoint(contentsOf: url)
            return try make(tensors: checkpoint.tensors, metadata: [:], file: url.path, classes: classes, weightsHash: nil)
        }
        let file = try SafeTensorsFile(path: url.path)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        return try make(tensors: tensors, metadata: file.metadata, file: url.path, classes: classes, weightsHash: weightsHash)
    }

    /// Shared checks for safetensors and `.pth` rectifiers.
    static func make(tensors: [String: Tensor], metadata meta: [String: String], file: String,
                     classes: [String]?, weightsHash: String?) throws -> Rectifier {
        var names = classes
        if let text = meta["classes"] {
            guard let stored = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
                throw RectifierFileError(file: file, problem: "metadata 'classes' is not a JSON array of names")
            }
            if let classes, classes != stored {
                throw RectifierFileError(file: file, problem:
                    "trained for classes \(stored.joined(separator: ",")), not \(classes.joined(separator: ","))")
            }
            names = stored
        }
        guard let names else {
            throw RectifierFileError(file: file, problem: "the file does not record its classes: pass --classes")
        }
        if let weightsHash, let stored = meta["weights_hash"], stored != weightsHash {
            throw RectifierFileError(file: file, problem:
                "trained with CLIP weights \(stored.prefix(12)), the loaded weights are \(weightsHash.prefix(12))")
        }
        let r = try Rectifier(authorsTensors: tensors, classNames: names, file: file, metadata: meta)
        if let v = meta["variant"], v != r.variant.rawValue {
            throw RectifierFileError(file: file, problem: "metadata says variant \(v) but the tensors are \(r.variant.rawValue)")
        }
        return r
    }
}
