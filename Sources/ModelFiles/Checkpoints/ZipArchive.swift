import Foundation
import Math
import FileIO

/// A read-only view of a zip archive (the container of `torch.save` files): members found
/// through the central directory, stored or deflated, every offset bounds-checked.
///
/// ```swift
/// let zip = try ZipArchive(data: Data(contentsOf: url), name: url.path)
/// let pickle = try zip.contents(of: zip.member(endingWith: "/data.pkl")!)
/// ```
struct ZipArchive {
    /// One entry of the central directory.
    struct Member {
        let name: String
        let method: UInt16
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let data: Data
    /// Path shown in errors.
    let name: String
    let members: [Member]

    init(data: Data, name: String) throws {
        self.data = data
        self.name = name
        let reader = ByteReader(data: data, name: name)
        // End of central directory: signature 0x06054b50 within the last 65,557 bytes.
        let minimum = 22
        guard data.count >= minimum else { throw reader.failure("too short (\(data.count) bytes) to be a zip archive") }
        var eocd = -1
        var p = data.count - minimum
        let floor = max(0, data.count - minimum - 65_535)
        while p >= floor {
            if try reader.u32(at: p) == 0x0605_4b50 { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else {
            if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                throw reader.failure("truncated zip archive (its central directory is missing)")
            }
            if data.starts(with: [0x80, 0x02]) {
                throw reader.failure("written in the format of torch.save before PyTorch 1.6, which is not supported; re-save it with a current PyTorch")
            }
            throw reader.failure("not a zip archive, so not a torch.save checkpoint")
        }
        var count = Int(try reader.u16(at: eocd + 10))
        var directorySize = Int(try reader.u32(at: eocd + 12))
        var directoryOffset = Int(try reader.u32(at: eocd + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: the locator sits just before the end record and points at the zip64 record.
            guard eocd >= 20, try reader.u32(at: eocd - 20) == 0x0706_4b50 else {
                throw reader.failure("zip64 end of central directory locator missing")
            }
            let record = try reader.offset(try reader.u64(at: eocd - 20 + 8))
            guard try reader.u32(at: record) == 0x0606_4b50 else { throw reader.failure("zip64 end of central directory record missing") }
            count = try reader.offset(try reader.u64(at: record + 32))
            directorySize = try reader.offset(try reader.u64(at: record + 40))
            directoryOffset = try reader.offset(try reader.u64(at: record + 48))
        }
        guard directoryOffset <= data.count, directorySize <= data.count - directoryOffset else {
            throw reader.failure("central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside the file")
        }
        var members = [Member]()
        var q = directoryOffset
        for index in 0..<count {
            guard try reader.u32(at: q) == 0x0201_4b50 else { throw reader.failure("central directory entry \(index) is corrupt") }
            let method = try reader.u16(at: q + 10)
            var compressed = Int(try reader.u32(at: q + 20))
            var size = Int(try reader.u32(at: q + 24))
            let nameLength = Int(try reader.u16(at: q + 28))
            let extraLength = Int(try reader.u16(at: q + 30))
            let commentLength = Int(try reader.u16(at: q + 32))
            var local = Int(try reader.u32(at: q + 42))
            let memberName = String(decoding: try reader.bytes(at: q + 46, count: nameLength), as: UTF8.self)
            // Zip64 extended information: the 64-bit values for the fields that read 0xFFFFFFFF, in order.
            var e = q + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let tag = try reader.u16(at: e), length = Int(try reader.u16(at: e + 2))
                if tag == 0x0001 {
                    var f = e + 4
                    if size == 0xFFFF_FFFF { size = try reader.offset(try reader.u64(at: f)); f += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try reader.offset(try reader.u64(at: f)); f += 8 }
                    if local == 0xFFFF_FFFF { local = try reader.offset(try reader.u64(at: f)) }
                }
                e += 4 + length
            }
            members.append(Member(name: memberName, method: method, compressedSize: compressed, size: size, localHeaderOffset: local))
            q = extraEnd + commentLength
        }
        self.members = members
    }

    /// The first member whose name ends with `suffix`.
    func member(endingWith suffix: String) -> Member? {
        members.first { $0.name.hasSuffix(suffix) }
    }

    /// The uncompressed bytes of `member`.
    func contents(of member: Member) throws -> Data {
        let reader = ByteReader(data: data, name: name)
        let h = member.localHeaderOffset
        guard try reader.u32(at: h) == 0x0403_4b50 else {
            throw reader.failure("member \(member.name): local header at offset \(h) is corrupt")
        }
        let start = h + 30 + Int(try reader.u16(at: h + 26)) + Int(try reader.u16(at: h + 28))
        guard start <= data.count, member.compressedSize <= data.count - start else {
            throw reader.failure("member \(member.name): \(member.compressedSize) bytes at offset \(start) run past the end of the file (\(data.count) bytes)")
        }
        let body = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + member.compressedSize))
        switch member.method {
        case 0:
            guard member.size == member.compressedSize else {
                throw reader.failure("member \(member.name): stored with sizes \(member.compressedSize) and \(member.size)")
            }
            return body
        case 8:
            do {
                return try Inflate.rawDeflate(body, expectedSize: member.size, what: "\(name): member \(member.name)")
            } catch let failure as Inflate.Failure {
                throw TorchCheckpointError(description: failure.description)   // the member's name escaped
            }
        default:
            throw reader.failure("member \(member.name): compression method \(member.method) is not supported (only stored and deflate)")
        }
    }
}

/// Bounds-checked little-endian reads from a byte buffer, failing with the file's name.
struct ByteReader {
    let data: Data
    let name: String

    func failure(_ problem: String) -> TorchCheckpointError {
        TorchCheckpointError(description: "\(name): \(problem)")
    }

    func bytes(at offset: Int, count: Int) throws -> Data {
        guard offset >= 0, count >= 0, offset <= data.count, count <= data.count - offset else {
            throw failure("truncated: needs \(count) bytes at offset \(offset), the file has \(data.count)")
        }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + count))
    }

    private func le(at offset: Int, count: Int) throws -> UInt64 {
        guard offset >= 0, offset <= data.count - count else {
            throw failure("truncated: needs \(count) bytes at offset \(offset), the file has \(data.count)")
        }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(data[data.startIndex + offset + i]) << (8 * UInt64(i)) }
        return v
    }

    func u16(at offset: Int) throws -> UInt16 { UInt16(try le(at: offset, count: 2)) }
    func u32(at offset: Int) throws -> UInt32 { UInt32(try le(at: offset, count: 4)) }
    func u64(at offset: Int) throws -> UInt64 { try le(at: offset, count: 8) }

    /// A 64-bit size or offset as an Int no larger than the file.
    func offset(_ v: UInt64) throws -> Int {
        guard v <= UInt64(data.count) else { throw failure("offset or size \(v) exceeds the file size \(data.count)") }
        return Int(v)
    }
}
