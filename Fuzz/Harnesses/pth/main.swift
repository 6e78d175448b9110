import Foundation
import FuzzSupport
import ModelFiles

// The `.pth` reader: the zip container (zip64 included), stored and deflated members, the
// unpickler and the storages and views it names, from bytes (`TorchCheckpoint(data:name:)`).
// Decoded tensor data is capped at 64 MiB here rather than the 4 GiB default, so that a run
// explores inputs rather than zero-filling large, valid storages; the cap is the same code.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(fuzzBytes(data, size))
    let name = "fuzz.pth"
    expectingErrors(naming: name) {
        let checkpoint = try TorchCheckpoint(data: bytes, name: name, maximumBytes: 64 << 20)
        precondition(checkpoint.keys.count == checkpoint.tensors.count, "\(checkpoint.keys.count) keys, \(checkpoint.tensors.count) tensors")
        for key in checkpoint.keys {
            guard let t = checkpoint.tensors[key] else { preconditionFailure("key \(key) without a tensor") }
            precondition(t.count == t.shape.reduce(1, *), "\(key): \(t.count) values for shape \(t.shape)")
        }
        _ = checkpoint.strippingPrefix("module.")
    }
    return 0
}

runFuzzer(fuzzTorchCheckpoint)
