import Foundation
import Math
import FileIO

/// Writes tensors to a safetensors file as F32 or F16, atomically: the bytes go to a temporary file in
/// the destination's directory, which is then renamed over the destination.
///
/// ```swift
/// try SafeTensorsWriter.write([("dense", dense), ("global", global)],
///                             metadata: ["image": "cat.png"], to: "features.safetensors")
/// ```
public enum SafeTensorsWriter {
    /// Writes `tensors` in the given order (names must be unique) with an optional
    /// `__metadata__` string map, each stored as `dtype`: `.f32`, or `.f16` (rounded to nearest,
    /// half the size; readers widen it back).
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil,
                             as dtype: SafeTensorsDType = .f32, to path: String) throws {
        guard dtype == .f32 || dtype == .f16 else {
            throw SafeTensorsError(file: path, "writing \(dtype.rawValue) is not supported (F32 or F16)")
        }
        var header = SafeTensorsHeader(metadata: metadata ?? [:])
        var offset = 0
        for (name, tensor) in tensors {
            guard name != SafeTensorsHeader.metadataKey, header.entries[name] == nil else {
                throw SafeTensorsError(file: path, tensor: name, "duplicate or reserved tensor name")
            }
            let bytes = tensor.count * dtype.size
            header.entries[name] = SafeTensorsHeader.Entry(dtype: dtype, shape: tensor.shape, range: offset..<(offset + bytes))
            offset += bytes
        }
        var json = try header.json()
        // Pad the header with spaces so the data section starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var file = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for (_, tensor) in tensors {
            if dtype == .f16 {
                tensor.data.map { Float16($0).bitPattern.littleEndian }.withUnsafeBytes { file.append(contentsOf: $0) }
            } else {
                tensor.data.withUnsafeBytes { file.append(contentsOf: $0) }
            }
        }
        try writeAtomically(file, to: path)
    }

    /// Writes `data` to `path` atomically (`AtomicFile`), failures as `SafeTensorsError`s.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: path) }
        catch let error as FileError { throw SafeTensorsError(file: path, error.reason) }
    }
}
