import Foundation
import Math
import FileIO

/// A `.pth` file written by `torch.save` that could not be read, in one line naming the file
/// (and the tensor, when one is at fault). Names taken from the file reach the terminal
/// through `terminalSafe` (control characters as `\xNN`).
public struct TorchCheckpointError: Error, CustomStringConvertible, Sendable {
    /// The file and what is wrong with it.
    public let description: String

    public init(description: String) { self.description = terminalSafe(description) }
}

/// The tensors of a PyTorch checkpoint (`torch.save` of a state dict, as the ReCLIP authors
/// distribute theirs), read directly: the zip container, the pickle and the raw storages.
///
/// Every tensor becomes a contiguous Float32 `Tensor` (float16, bfloat16, float64 and
/// integer storages are converted; strided views are made contiguous; tensors sharing a
/// storage each get their own copy). When the pickle holds a dict of dicts -- such as
/// `{'state_dict': {...}, 'epoch': 3}` -- the first dict holding tensors is used, looking
/// at the top level first, then under `state_dict`, `model`, `model_state_dict`, `module`,
/// `net`, then under any other key, breadth first.
///
/// ```swift
/// let checkpoint = try TorchCheckpoint(contentsOf: URL(fileURLWithPath: "reclip_voc.pth"))
/// let prompt = checkpoint.tensors["module.text_encoder.prompt_token"]   // shape [1, 73, 512]
/// print(checkpoint.keys, checkpoint.location)                          // file order; ["state_dict"]
/// ```
///
/// A file holding a single tensor (`torch.save(t)`) gives it under the key `""`; a list or
/// tuple of tensors gives them under `"0"`, `"1"`, ...
///
/// The reader builds values only and never runs code from the file. Opcodes other than the
/// ones `torch.save` uses for state dicts are refused with an error naming the file and
/// opcode; objects of other classes found beside the tensors (an optimiser, a namespace)
/// are kept opaque and ignored.
public struct TorchCheckpoint: Sendable {
    /// Tensors by state-dict key (keys as stored, e.g. with a `module.` prefix).
    public let tensors: [String: Tensor]
    /// The keys of `tensors` in the order the file lists them.
    public let keys: [String]
    /// Keys leading from the top of the pickle to the state dict (empty: the top level).
    public let location: [String]

    /// Reads the checkpoint at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try FileBytes.mapped(url.path) } catch let error as FileError {
            throw TorchCheckpointError(description: "\(url.path): cannot read (\(error.reason))")
        }
        try self.init(data: data, name: url.path)
    }

    /// Decoded tensor data a checkpoint may produce, storages and copied views together:
    /// 4 GiB of Float32 (a ViT-L/14 CLIP with its rectifier needs under 2).
    public static let maximumBytes = 4 << 30

    /// Elements a view may address per element of its storage: views with zero strides
    /// repeat elements (an expanded tensor), but no state dict repeats them more than this.
    public static let maximumViewExpansion = 16

    /// Reads a checkpoint from its bytes; `name` is used in errors. Decoding stops with an
    /// error before it would exceed `maximumBytes` (a smaller limit can be given).
    public init(data: Data, name: String, maximumBytes: Int = TorchCheckpoint.maximumBytes) throws {
        let zip = try ZipArchive(data: data, name: name)
        guard let pickleMember = zip.member(endingWith: "data.pkl") else {
            throw TorchCheckpointError(description: "\(name): no data.pkl in the archive: not a torch.save file")
        }
        let prefix = String(pickleMember.name.dropLast("data.pkl".count))
        if let order = zip.member(endingWith: prefix + "byteorder") ?? zip.member(endingWith: "/byteorder") {
            let text = String(decoding: try zip.contents(of: order), as: UTF8.self)
            guard text.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
                throw TorchCheckpointError(description: "\(name): byte order '\(text)' is not supported (only little-endian)")
            }
        }
        let root = try Unpickler(bytes: Array(try zip.contents(of: pickleMember)), name: name).load()
        // The named tensors to read: a state dict, or a file holding one tensor or a list of them.
        var named = [(String, TorchTensorReference)]()
        var location = [String]()
        switch root {
        case .tensor(let ref):
            named = [("", ref)]
        case .list(let l) where !l.items.isEmpty && l.items.allSatisfy(\.isTensor):
            named = l.items.enumerated().compactMap { i, v in v.tensorReference.map { (String(i), $0) } }
        case .tuple(let items, _) where !items.isEmpty && items.allSatisfy(\.isTensor):
            named = items.enumerated().compactMap { i, v in v.tensorReference.map { (String(i), $0) } }
        default:
            guard let (dict, path) = Self.findStateDict(root) else {
                throw TorchCheckpointError(description: "\(name): no dict of tensors found in the checkpoint (top level is a \(root.typeName))")
            }
            location = path
            for (k, v) in dict.entries {
                if case .string(let key) = k, let ref = v.tensorReference { named.append((key, ref)) }
            }
        }
        var storages = [String: (reference: TorchStorageReference, values: [Float])]()
        var tensors = [String: Tensor]()
        var keys = [String]()
        var budget = maximumBytes / 4
        func limit(_ what: String, _ elements: Int) -> TorchCheckpointError {
            TorchCheckpointError(description: "\(what) needs \(elements) more Float32 elements, past the limit of "
                                 + "\(maximumBytes) bytes of decoded tensor data per checkpoint")
        }
        for (key, ref) in named {
            let what = "\(name): tensor '\(key)'"
            let storage: [Float]
            if let cached = storages[ref.storage.key] {
                // A storage is decoded once, with the count and type of the first tensor naming it.
                guard cached.reference.count == ref.storage.count, cached.reference.type == ref.storage.type else {
                    throw TorchCheckpointError(description: "\(what): storage \(ref.storage.key) is declared as "
                        + "\(ref.storage.count) \(ref.storage.type.rawValue) elements, but an earlier tensor declared it as "
                        + "\(cached.reference.count) \(cached.reference.type.rawValue) elements")
                }
                storage = cached.values
            } else {
                let memberName = prefix + "data/" + ref.storage.key
                guard let member = zip.members.first(where: { $0.name == memberName }) else {
                    throw TorchCheckpointError(description: "\(name): storage \(memberName) of tensor '\(key)' is missing from the archive")
                }
                guard ref.storage.count <= budget else { throw limit("\(what): storage \(memberName)", ref.storage.count) }
                try Self.checkSize(of: member, ref.storage, name: "\(name): \(memberName)")
                storage = try Self.decode(try zip.contents(of: member), ref.storage, name: "\(name): \(memberName)")
                storages[ref.storage.key] = (ref.storage, storage)
                budget -= storage.count
            }
            let count = try Self.checkView(ref, storageCount: storage.count, what: what)
            if !Self.sharesStorage(ref, count: count, storageCount: storage.count) {
                guard count <= budget else { throw limit(what, count) }
                budget -= count
            }
            if tensors[key] == nil { keys.append(key) }
            tensors[key] = Self.gather(storage, ref)
        }
        self.tensors = tensors
        self.keys = keys
        self.location = location
    }

    /// The tensors with `prefix` removed from every key that has it (e.g. `"module."`).
    public func strippingPrefix(_ prefix: String) -> [String: Tensor] {
        var out = [String: Tensor]()
        for (k, v) in tensors { out[k.hasPrefix(prefix) ? String(k.dropFirst(prefix.count)) : k] = v }
        return out
    }

    static let preferredKeys = ["state_dict", "model", "model_state_dict", "module", "net"]

    /// Breadth-first search for the first dict that holds at least one tensor.
    static func findStateDict(_ root: PickleValue) -> (PickleDict, [String])? {
        var queue: [(PickleValue, [String])] = [(root, [])]
        var seen = Set<ObjectIdentifier>()
        while !queue.isEmpty {
            let (value, path) = queue.removeFirst()
            guard case .dict(let d) = value, seen.insert(ObjectIdentifier(d)).inserted else { continue }
            if d.entries.contains(where: { if case .tensor = $0.value { return true } else { return false } }) {
                return (d, path)
            }
            let named = d.entries.compactMap { e -> (String, PickleValue)? in
                if case .string(let k) = e.key { return (k, e.value) } else { return nil }
            }
            for k in preferredKeys { for (name, v) in named where name == k { queue.append((v, path + [name])) } }
            for (name, v) in named where !preferredKeys.contains(name) { queue.append((v, path + [name])) }
        }
        return nil
    }

    /// Checks, before the member is read (and inflated), that it holds exactly the bytes its
    /// storage's elements need, as `torch.save` writes them.
    static func checkSize(of member: ZipArchive.Member, _ storage: TorchStorageReference, name: String) throws {
        let (needed, overflow) = storage.count.multipliedReportingOverflow(by: storage.type.byteCount)
        guard !overflow, member.size == needed else {
            throw TorchCheckpointError(description: "\(name): storage holds \(member.size) bytes, \(storage.count) "
                                       + "\(storage.type.rawValue) elements need \(overflow ? "more than Int.max" : "\(needed)")")
        }
    }

    /// The number of elements of a view, after checking that it lies inside a storage of
    /// `storageCount` elements: sizes whose product does not overflow (an empty view is then
    /// fine wherever it points), at most `maximumViewExpansion` elements per storage element,
    /// and every element addressed (offset + Σ (size - 1) · stride) inside the storage.
    static func checkView(_ ref: TorchTensorReference, storageCount: Int, what: String) throws -> Int {
        func fail(_ problem: String) -> TorchCheckpointError {
            TorchCheckpointError(description: "\(what): view of shape \(ref.shape) (strides \(ref.strides), offset \(ref.offset)) \(problem)")
        }
        // The product of the non-zero sizes bounds every partial product, so `Tensor` can
        // multiply the sizes in any order, even for an empty view.
        var count = 1
        for n in ref.shape where n > 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("has sizes whose product overflows") }
            count = product
        }
        if ref.shape.contains(0) { return 0 }
        let (bound, overflow) = storageCount.multipliedReportingOverflow(by: maximumViewExpansion)
        guard overflow || count <= bound else {
            throw fail("addresses \(count) elements, more than \(maximumViewExpansion) times its storage's \(storageCount)")
        }
        var last = ref.offset
        for (n, stride) in zip(ref.shape, ref.strides) {
            let (step, o1) = (n - 1).multipliedReportingOverflow(by: stride)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1 && !o2 else { throw fail("reaches past its storage of \(storageCount) elements") }
            last = sum
        }
        guard ref.offset >= 0, last < storageCount else { throw fail("reaches past its storage of \(storageCount) elements") }
        return count
    }

    /// Whether `gather` returns the decoded storage itself (shared, copy-on-write) rather than a copy.
    static func sharesStorage(_ ref: TorchTensorReference, count: Int, storageCount: Int) -> Bool {
        count > 0 && ref.offset == 0 && count == storageCount && isRowMajor(ref)
    }

    /// Whether the view's strides are the row-major ones (dimensions of size 1 never move the
    /// index, so their stride does not matter).
    static func isRowMajor(_ ref: TorchTensorReference) -> Bool {
        zip(ref.shape, zip(ref.strides, rowMajorStrides(ref.shape))).allSatisfy { size, strides in size == 1 || strides.0 == strides.1 }
    }

    /// Converts a raw little-endian storage to Float.
    static func decode(_ raw: Data, _ storage: TorchStorageReference, name: String) throws -> [Float] {
        let width = storage.type.byteCount
        let (needed, overflow) = storage.count.multipliedReportingOverflow(by: width)
        guard !overflow, raw.count >= needed else {
            throw TorchCheckpointError(description: "\(name): storage holds \(raw.count) bytes, \(storage.count) \(storage.type.rawValue) elements need \(needed)")
        }
        var out = [Float](repeating: 0, count: storage.count)
        raw.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<storage.count {
                    let o = i * width
                    switch storage.type {
                    case .float32: dst[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
                    case .float16: dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
                    case .bfloat16: dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian) << 16)
                    case .float64: dst[i] = Float(Double(bitPattern: src.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian))
                    case .int64: dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                    case .int32: dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                    case .int16: dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                    case .int8: dst[i] = Float(src.load(fromByteOffset: o, as: Int8.self))
                    case .uint8, .bool: dst[i] = Float(src.load(fromByteOffset: o, as: UInt8.self))
                    }
                }
            }
        }
        return out
    }

    /// Strides of the row-major layout of `shape`.
    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }

    /// IEEE 754 binary16 to binary32, exactly (subnormals, infinities and NaNs included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Subnormal or zero: mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }

    /// The elements a (possibly strided) view addresses, in row-major order.
    /// The view must have passed `checkView` against this storage.
    static func gather(_ storage: [Float], _ ref: TorchTensorReference) -> Tensor {
        let count = ref.shape.reduce(1, *)
        if isRowMajor(ref) && count > 0 {
            // Contiguous views share the decoded storage (copy-on-write) or slice it.
            if sharesStorage(ref, count: count, storageCount: storage.count) { return Tensor(shape: ref.shape, data: storage) }
            return Tensor(shape: ref.shape, data: Array(storage[ref.offset..<(ref.offset + count)]))
        }
        var out = [Float](repeating: 0, count: count)
        if count > 0 {
            let rank = ref.shape.count
            var index = [Int](repeating: 0, count: rank)
            var source = ref.offset
            for i in 0..<count {
                out[i] = storage[source]
                // Advance the multi-index like an odometer, updating the source offset.
                var d = rank - 1
                while d >= 0 {
                    index[d] += 1
                    source += ref.strides[d]
                    if index[d] < ref.shape[d] { break }
                    source -= ref.strides[d] * ref.shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: ref.shape, data: out)
    }
}
