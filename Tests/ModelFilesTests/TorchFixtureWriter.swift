import Foundation

/// Builds `torch.save`-layout checkpoints in memory for hostile-input tests: a zip archive
/// (members stored, CRCs left zero: the reader does not check them) holding
/// `archive/data.pkl`, a protocol-2 pickle of a dict of tensor views as `torch.save` writes
/// them (`torch._utils._rebuild_tensor_v2` over persistent-id storages), `archive/byteorder`,
/// and one `archive/data/<key>` member per storage.
///
/// ```swift
/// var w = TorchFixtureWriter()
/// w.storage("0", floats: [1, 2, 3, 4])
/// w.view("w", storage: "0", count: 4, shape: [2, 2], strides: [2, 1])
/// let checkpoint = try TorchCheckpoint(data: w.archive(), name: "hand.pth")
/// ```
struct TorchFixtureWriter {
    /// One state-dict entry: a view of a storage, as its pickle declares it.
    struct View {
        var key: String
        var storage: String
        /// The element count the persistent id declares for the storage.
        var count: Int
        var type = "FloatStorage"
        var offset = 0
        var shape: [Int]
        var strides: [Int]
    }

    var views: [View] = []
    /// Raw bytes of each storage member, by storage key.
    var storages: [(key: String, bytes: [UInt8])] = []

    /// Adds a storage member holding `floats` as little-endian Float32.
    mutating func storage(_ key: String, floats: [Float]) {
        storages.append((key, floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }))
    }

    /// Adds a storage member of raw bytes.
    mutating func storage(_ key: String, bytes: [UInt8]) { storages.append((key, bytes)) }

    /// Adds a state-dict entry `key`: a view of `storage`, declared with `count` elements.
    mutating func view(_ key: String, storage: String, count: Int, offset: Int = 0, shape: [Int], strides: [Int]) {
        views.append(View(key: key, storage: storage, count: count, offset: offset, shape: shape, strides: strides))
    }

    /// The pickle: `{key: _rebuild_tensor_v2(storage, offset, shape, strides, False), ...}`.
    func pickle() -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28]                       // PROTO 2, EMPTY_DICT, MARK
        func string(_ s: String) {
            let utf8 = Array(s.utf8)
            p.append(0x58)                                                // BINUNICODE
            p += withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) }
            p += utf8
        }
        func int(_ n: Int) {
            p += [0x8A, 8]                                                // LONG1, 8 bytes
            p += withUnsafeBytes(of: Int64(n).littleEndian) { Array($0) }
        }
        func global(_ module: String, _ name: String) { p.append(0x63); p += Array("\(module)\n\(name)\n".utf8) }
        func tuple(_ items: [Int]) { p.append(0x28); items.forEach(int); p.append(0x74) }   // MARK ... TUPLE
        for v in views {
            string(v.key)
            global("torch._utils", "_rebuild_tensor_v2")
            p.append(0x28)                                                // MARK (arguments)
            p.append(0x28)                                                // MARK (persistent id)
            string("storage"); global("torch", v.type); string(v.storage); string("cpu"); int(v.count)
            p += [0x74, 0x51]                                             // TUPLE, BINPERSID
            int(v.offset)
            tuple(v.shape)
            tuple(v.strides)
            p.append(0x89)                                                // NEWFALSE (requires_grad)
            p += [0x74, 0x52]                                             // TUPLE, REDUCE
        }
        p += [0x75, 0x2E]                                                 // SETITEMS, STOP
        return p
    }

    /// The whole `.pth` file.
    func archive() -> Data {
        var members: [(String, [UInt8])] = [("archive/data.pkl", pickle()), ("archive/byteorder", Array("little".utf8))]
        for s in storages { members.append(("archive/data/\(s.key)", s.bytes)) }
        var out: [UInt8] = [], directory: [UInt8] = []
        func u16(_ v: Int, _ into: inout [UInt8]) { into += withUnsafeBytes(of: UInt16(v).littleEndian) { Array($0) } }
        func u32(_ v: Int, _ into: inout [UInt8]) { into += withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }
        for (name, bytes) in members {
            let offset = out.count, nameBytes = Array(name.utf8)
            // Local header: signature, version, flags, method 0 (stored), time, date, CRC, sizes, name and extra lengths.
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(0, &out); u32(bytes.count, &out); u32(bytes.count, &out); u16(nameBytes.count, &out); u16(0, &out)
            out += nameBytes + bytes
            // Central directory entry.
            u32(0x0201_4b50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u16(0, &directory); u32(0, &directory); u32(bytes.count, &directory); u32(bytes.count, &directory)
            u16(nameBytes.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u32(0, &directory); u32(offset, &directory)
            directory += nameBytes
        }
        let directoryOffset = out.count
        out += directory
        // End of central directory.
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
        u32(directory.count, &out); u32(directoryOffset, &out); u16(0, &out)
        return Data(out)
    }
}
