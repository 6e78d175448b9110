import Foundation
import Math
import FileIO
import ModelFiles
import CLIP

// Reading and writing rectifiers under the authors' state-dict names (`text_encoder.prompt_token`,
// `proj_net.{0,3,6}.*` convs and `proj_net.{1,4,7}.*` BatchNorms for ReCLIP; `pe_proj.*`,
// `decoder_conv2.*`, `decoder_norm2.*` for ReCLIP++), with or without the `module.` prefix
// their DistributedDataParallel checkpoints carry. Other keys (the frozen CLIP) are ignored.
//
// Our files are safetensors with these names plus JSON metadata: `variant`, `classes` (a JSON
// array), `weights_hash` (of the CLIP weights the rectifier was trained with), `head` (the dense
// head whose logits it was trained on; absent in older files and the authors', meaning maskclip)
// and training settings.

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
    ///
    /// Every shape is checked before use: the prompt is `[1, L, W]` or `[L, W]`; each conv is
    /// `[out, in, k, k]` with an odd kernel, its bias and its BatchNorm's weight, bias,
    /// running_mean and running_var hold `out` values and `num_batches_tracked` one integer;
    /// ReCLIP's three convs chain (each one's input is the previous one's output) and end in
    /// one channel per class; ReCLIP++'s `pe_proj` is `[D, Cv, 1, 1]` with a `[D]` bias and its
    /// decoder maps `D + K` channels to `K`. How the shapes must fit a CLIP is checked by
    /// `checkCompatible(with:)` once the CLIP is known.
    public init(authorsTensors raw: [String: Tensor], classNames: [String], file: String,
                metadata: [String: String] = [:]) throws {
        var t: [String: Tensor] = [:]
        var stored: [String: String] = [:]   // authors' name -> the name in the file
        for (k, v) in raw {
            let name = k.hasPrefix("module.") ? String(k.dropFirst(7)) : k
            t[name] = v
            stored[name] = k
        }
        func fail(_ k: String, _ problem: String) -> RectifierFileError {
            RectifierFileError(file: file, tensor: stored[k] ?? k, problem: problem)
        }
        func get(_ k: String) throws -> Tensor {
            guard let v = t[k] else { throw RectifierFileError(file: file, problem: "missing rectifier tensor \(k)") }
            return v
        }
        /// The `count` values of a 1-D tensor, `why` saying where the count comes from.
        func vector(_ k: String, _ count: Int, _ why: String) throws -> [Float] {
            let v = try get(k)
            guard v.shape == [count] else { throw fail(k, "shape \(v.shape), expected [\(count)] (\(why))") }
            return v.data
        }
        func norm(_ p: String, channels: Int, after conv: String) throws -> BatchNormParameters {
            let why = "the output channels of \(conv)"
            var bn = BatchNormParameters(channels: channels)
            bn.weight = try vector(p + ".weight", channels, why)
            bn.bias = try vector(p + ".bias", channels, why)
            bn.runningMean = try vector(p + ".running_mean", channels, why)
            bn.runningVar = try vector(p + ".running_var", channels, why)
            if let n = t[p + ".num_batches_tracked"] {
                guard n.count == 1, let count = Int(exactly: n.data[0]), count >= 0 else {
                    throw fail(p + ".num_batches_tracked", "expected one non-negative integer, found "
                               + (n.count == 1 ? "\(n.data[0])" : "shape \(n.shape)"))
                }
                bn.batchesTracked = count
            }
            return bn
        }
        func conv(_ c: String, _ n: String) throws -> ConvNormLayer {
            let w = try get(c + ".weight")
            guard w.rank == 4, w.shape[0] > 0, w.shape[1] > 0, w.shape[2] == w.shape[3], w.shape[2] % 2 == 1 else {
                throw fail(c + ".weight", "shape \(w.shape), expected [out, in, k, k] with out, in > 0 and an odd kernel k")
            }
            let (outChannels, inChannels, kernel) = (w.shape[0], w.shape[1], w.shape[2])
            return ConvNormLayer(weight: w.data, bias: try vector(c + ".bias", outChannels, "the output channels of \(c).weight"),
                                 inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                 norm: try norm(n, channels: outChannels, after: c + ".weight"))
        }
        let prompt = try get("text_encoder.prompt_token")
        guard (prompt.rank == 3 && prompt.shape[0] == 1) || prompt.rank == 2, prompt.shape.allSatisfy({ $0 > 0 }) else {
            throw fail("text_encoder.prompt_token", "shape \(prompt.shape), expected [1, L, W] or [L, W] with L, W > 0")
        }
        let L = prompt.shape[prompt.rank - 2], W = prompt.shape[prompt.rank - 1]
        let K = classNames.count
        if t["proj_net.0.weight"] != nil {
            let layers = try [(0, 1), (3, 4), (6, 7)].map { try conv("proj_net.\($0.0)", "proj_net.\($0.1)") }
            for i in 1..<layers.count where layers[i].inChannels != layers[i - 1].outChannels {
                throw fail("proj_net.\(3 * i).weight",
                           "\(layers[i].inChannels) input channels, but proj_net.\(3 * (i - 1)).weight gives \(layers[i - 1].outChannels)")
            }
            guard layers[2].outChannels == K else {
                throw fail("proj_net.6.weight", "rectifier has \(layers[2].outChannels) classes, the class list has \(K)")
            }
            self.init(variant: .reclip, classNames: classNames, prompt: prompt.data, promptLength: L, textWidth: W,
                      spaceLayers: layers, metadata: metadata, source: file)
        } else if t["pe_proj.weight"] != nil {
            let pe = try get("pe_proj.weight")
            guard (pe.rank == 4 && pe.shape[2] == 1 && pe.shape[3] == 1) || pe.rank == 2, pe.shape[0] > 0, pe.shape[1] > 0 else {
                throw fail("pe_proj.weight", "shape \(pe.shape), expected [D, Cv, 1, 1] with D, Cv > 0")
            }
            let D = pe.shape[0]
            let peBias = try vector("pe_proj.bias", D, "the output channels of pe_proj.weight")
            let dec = try conv("decoder_conv2", "decoder_norm2")
            guard dec.outChannels == K else {
                throw fail("decoder_conv2.weight", "rectifier has \(dec.outChannels) classes, the class list has \(K)")
            }
            guard dec.inChannels == D + K else {
                throw fail("decoder_conv2.weight",
                           "\(dec.inChannels) input channels, expected \(D + K) (the \(D) of pe_proj.weight and \(K) classes)")
            }
            self.init(variant: .reclipPlusPlus, classNames: classNames, prompt: prompt.data, promptLength: L, textWidth: W,
                      peProjWeight: pe.data, peProjBias: peBias, decoder: dec, metadata: metadata, source: file)
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

    /// Writes the rectifier as safetensors with its metadata and its `featureReference` when it
    /// has one (atomically); `extra` tensors
    /// (training state such as momentum buffers) are stored beside it and ignored by `load`.
    public func save(to url: URL, extra: [String: Tensor] = [:]) throws {
        var meta = metadata
        meta["variant"] = variant.rawValue
        meta["classes"] = try MetadataJSON.text(classNames)
        let all = authorsTensors().merging(featureReference?.tensors ?? [:]) { a, _ in a }.merging(extra) { a, _ in a }
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
            guard let stored = MetadataJSON.value([String].self, from: text) else {
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
        if let head = meta["head"], DenseHead(rawValue: head) == nil {
            throw RectifierFileError(file: file, problem:
                "metadata head '\(head)' is not one of \(DenseHead.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var r = try Rectifier(authorsTensors: tensors, classNames: names, file: file, metadata: meta)
        r.featureReference = try FeatureReference(tensors: tensors, classCount: names.count, file: file)
        if let v = meta["variant"], v != r.variant.rawValue {
            throw RectifierFileError(file: file, problem: "metadata says variant \(v) but the tensors are \(r.variant.rawValue)")
        }
        return r
    }
}
