import FuzzSupport
import ModelFiles

// The safetensors reader: `SafeTensorsFile(path:)` maps a path, so each input is written to a
// scratch file first. Past the header checks, every tensor is read the way the loaders read
// them (floats or integers by dtype), each read on its own so that one refused tensor does not
// hide the others.

let scratch = ScratchFile(name: "input.safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    scratch.write(fuzzBytes(data, size))
    expectingErrors(naming: scratch.path) {
        let file = try SafeTensorsFile(path: scratch.path)
        for name in file.names.prefix(256) {
            let entry = try file.entry(name)
            precondition(entry.range.count == entry.count * entry.dtype.size, "\(name): \(entry)")
            expectingErrors(naming: scratch.path) {
                switch entry.dtype {
                case .i64, .i32, .u8:
                    let values = try file.int32s(name)
                    precondition(values.count == entry.count, "\(name): \(values.count) values")
                default:
                    let t = try file.tensor(name, shape: entry.shape)
                    precondition(t.count == entry.count && t.shape == entry.shape)
                }
            }
        }
    }
    return 0
}

runFuzzer(fuzzSafeTensors)
