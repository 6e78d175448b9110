import Foundation
import Math
import FileIO

/// Element types a safetensors file may declare, with their sizes in bytes.
public enum SafeTensorsDType: String, Codable, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case u16 = "U16", u32 = "U32", u64 = "U64", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }
}

/// A read-only, memory-mapped safetensors file whose header has been fully validated.
///
/// Opening checks the whole layout before any tensor is read: the header length, then the
/// header itself (`SafeTensorsHeader`: every entry's dtype, shape (no overflow) and byte range
/// (inside the data section, exactly `numel * size(dtype)` bytes, no two ranges overlapping)). Tensors are read on demand and
/// F32, F16 and BF16 are converted to `Float`.
///
/// ```swift
/// let file = try SafeTensorsFile(path: "model.safetensors")
/// let w = try file.tensor("visual.proj")        // Tensor, F32 whatever the stored dtype
/// let heads = file.metadata["vision_heads"]
/// ```
///
/// `Sendable` by inspection (`@unchecked` because it holds a raw pointer): every stored property
/// is a `let` set in `init`, the mapping is read-only (`PROT_READ`, private), and it is unmapped
/// only in `deinit`, which ARC runs once, after the last reference on any thread is gone.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Header entries by tensor name.
    public let entries: [String: SafeTensorsHeader.Entry]

    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let dataStart: Int

    /// The longest JSON header accepted, in bytes (the safetensors format's own limit).
    public static let maximumHeaderLength = 100_000_000

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Maps `path` and validates its header.
    public init(path: String) throws {
        self.path = path
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: path, problem) }
        // Non-blocking, so that a FIFO cannot stall the open; the type check below refuses it.
        let fd = FileBytes.openForReading(path)
        guard fd >= 0 else { throw fail("cannot open: \(FileBytes.reason(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail("cannot stat: \(String(cString: strerror(errno)))") }
        do { try FileBytes.checkRegular(info, path: path) } catch let error as FileError { throw fail(error.reason) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw fail("truncated: \(size) bytes, a safetensors file starts with an 8-byte header length") }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw fail("cannot map: \(String(cString: strerror(errno)))")
        }
        let base = UnsafeRawPointer(map)
        do {
            let headerLength = base.loadUnaligned(as: UInt64.self).littleEndian
            guard headerLength <= UInt64(size - 8) else {
                throw fail("truncated: header claims \(headerLength) bytes but only \(size - 8) follow")
            }
            guard headerLength <= UInt64(Self.maximumHeaderLength) else {
                throw fail("header of \(headerLength) bytes exceeds the format's limit of \(Self.maximumHeaderLength)")
            }
            let header = Data(bytes: base + 8, count: Int(headerLength))
            let dataStart = 8 + Int(headerLength)
            let parsed = try SafeTensorsHeader(json: header, file: path, dataSize: size - dataStart)
            self.entries = parsed.entries
            self.metadata = parsed.metadata
            self.dataStart = dataStart
        } catch {
            munmap(map, size)
            throw error
        }
        self.base = base
        self.mappedLength = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }

    /// The header entry for `name`, or an error naming the missing tensor.
    public func entry(_ name: String) throws -> SafeTensorsHeader.Entry {
        guard let e = entries[name] else { throw SafeTensorsError(file: path, tensor: name, "not in the file") }
        return e
    }

    /// The elements of `name` converted to `Float` (F32, F16 or BF16 storage).
    ///
    /// The file pages the tensor came from are released afterwards (they are clean and would
    /// be read back if needed), so loading a whole model does not hold the file and its
    /// converted copy in memory at once.
    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        defer { release(e.range) }
        let src = base + dataStart + e.range.lowerBound
        let n = e.count
        switch e.dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                if n > 0 { memcpy(buffer.baseAddress!, src, n * 4) }
                initialized = n
            }
        case .f16:
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                let out = buffer.baseAddress!
                parallelRanges(n, minimumCount: 1 << 16) { range in
                    for i in range {
                        out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    }
                }
                initialized = n
            }
        case .bf16:
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                for i in 0..<n {
                    let bits = UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16
                    buffer[i] = Float(bitPattern: bits)
                }
                initialized = n
            }
        default:
            throw SafeTensorsError(file: path, tensor: name, "dtype \(e.dtype.rawValue) is not a float type (F32, F16, BF16)")
        }
    }

    /// Drops the whole pages inside a data range from the resident set.
    private func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (dataStart + range.lowerBound + page - 1) / page * page
        let end = (dataStart + range.upperBound) / page * page
        if end > start {
            madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
        }
    }

    /// `name` as a `Tensor` of its stored shape (F32, F16 or BF16 storage).
    public func tensor(_ name: String) throws -> Tensor {
        Tensor(shape: try entry(name).shape, data: try floats(name))
    }

    /// `name` as a `Tensor`, checking that its shape is `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let e = try entry(name)
        guard e.shape == shape else {
            throw SafeTensorsError(file: path, tensor: name, "shape \(e.shape), expected \(shape)")
        }
        return try tensor(name)
    }

    /// The elements of an integer tensor (I64, I32, U8) as `Int32`, range-checked.
    public func int32s(_ name: String) throws -> [Int32] {
        let e = try entry(name)
        let src = base + dataStart + e.range.lowerBound
        switch e.dtype {
        case .u8:
            return (0..<e.count).map { Int32(src.load(fromByteOffset: $0, as: UInt8.self)) }
        case .i32:
            return (0..<e.count).map { src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        case .i64:
            return try (0..<e.count).map {
                let v = src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)
                guard let small = Int32(exactly: v) else {
                    throw SafeTensorsError(file: path, tensor: name, "value \(v) does not fit in 32 bits")
                }
                return small
            }
        default:
            throw SafeTensorsError(file: path, tensor: name, "dtype \(e.dtype.rawValue) is not an integer type (I32, I64, U8)")
        }
    }
}

/// IEEE half to single precision with integer operations only (branch-free, so the loop over a
/// tensor vectorises; the library routine is a call per element without F16C):
/// normal: exponent rebased from 15 to 127, mantissa shifted up 13 bits;
/// subnormal or zero: mantissa · 2⁻²⁴ (by subtracting 2⁻¹⁴ from a float with that exponent);
/// infinity or NaN: exponent all ones.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let bits = UInt32(h)
    let sign = (bits & 0x8000) << 16
    let magnitude = (bits & 0x7FFF) << 13
    let exponent = magnitude & 0x0F80_0000
    let normal = magnitude &+ ((127 - 15) << 23)
    let special = normal &+ ((128 - 16) << 23)
    let tiny = Float(bitPattern: normal &+ (1 << 23)) - Float(bitPattern: 113 << 23)
    let value = exponent == 0x0F80_0000 ? special : (exponent == 0 ? tiny.bitPattern : normal)
    return Float(bitPattern: value | sign)
}
