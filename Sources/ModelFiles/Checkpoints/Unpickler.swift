import Foundation
import Math
import FileIO

/// A value decoded from a pickle. Lists and dicts are references, as in Python, so that
/// items added after memoisation reach every holder.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    /// Items, and the nesting depth of the tuple (1 + its deepest item).
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function named by GLOBAL, never called: only the ones `Unpickler`
    /// knows are interpreted.
    case global(module: String, name: String)
    /// A storage named by a persistent id: `('storage', StorageType, key, location, numel)`.
    case storage(TorchStorageReference)
    /// A tensor view of a storage (`torch._utils._rebuild_tensor_v2`).
    case tensor(TorchTensorReference)
    /// An instance of some other class, kept opaque (its state is not interpreted).
    case object(String)

    var tensorReference: TorchTensorReference? {
        if case .tensor(let ref) = self { return ref } else { return nil }
    }

    var isTensor: Bool { tensorReference != nil }

    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let m, let n): return "\(m).\(n)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .object(let n): return n
        }
    }
}

/// A list under construction or built. `depth` bounds how deeply values nest inside it;
/// once `sealed` (placed inside another value) it may not become deeper; with the refusal of
/// a container placed inside itself, this keeps every decoded value acyclic.
final class PickleList {
    var items: [PickleValue] = []
    var depth = 1
    var sealed = false
}

/// A dict, with the same depth bookkeeping as `PickleList`.
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    var sealed = false
}

/// Element type of a torch storage, from its class name (`torch.FloatStorage`, ...).
enum TorchScalarType: String {
    case float32 = "FloatStorage", float16 = "HalfStorage", bfloat16 = "BFloat16Storage", float64 = "DoubleStorage"
    case int64 = "LongStorage", int32 = "IntStorage", int16 = "ShortStorage", int8 = "CharStorage"
    case uint8 = "ByteStorage", bool = "BoolStorage"

    var byteCount: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

struct TorchStorageReference {
    let key: String
    let type: TorchScalarType
    let count: Int
}

struct TorchTensorReference {
    let storage: TorchStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// A minimal unpickler for the pickles `torch.save` writes (protocol 2, the opcodes state
/// dicts use). It builds values only: it never imports or calls anything. Every read is
/// bounds-checked; any other opcode is refused with an error naming the file and opcode.
struct Unpickler {
    let bytes: [UInt8]
    /// Path shown in errors.
    let name: String

    private func fail(_ problem: String, at position: Int) -> TorchCheckpointError {
        TorchCheckpointError(description: "\(name): pickle byte \(position): \(problem)")
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    /// Deepest nesting of tuples, lists and dicts accepted. State dicts nest about five deep;
    /// the bound keeps the release of a hostile, deeply nested value from exhausting the stack.
    static let maximumDepth = 100

    func load() throws -> PickleValue {
        var stack = [PickleValue]()
        var marks = [Int]()
        var memo = [Int: PickleValue]()
        var p = 0

        func take(_ n: Int, _ at: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, p <= bytes.count - n else { throw fail("truncated pickle (needs \(n) more bytes)", at: at) }
            defer { p += n }
            return bytes[p..<(p + n)]
        }
        func uint(_ n: Int, _ at: Int) throws -> Int {
            var v = 0
            for (i, b) in try take(n, at).enumerated() { v |= Int(b) << (8 * i) }
            return v
        }
        func pop(_ at: Int) throws -> PickleValue {
            guard let v = stack.popLast() else { throw fail("stack underflow", at: at) }
            if let m = marks.last, stack.count < m { throw fail("stack underflow past a MARK", at: at) }
            return v
        }
        func popMark(_ at: Int) throws -> [PickleValue] {
            guard let m = marks.popLast(), m <= stack.count else { throw fail("no MARK on the stack", at: at) }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }
        func text(_ n: Int, _ at: Int) throws -> String {
            guard let s = String(validating: try take(n, at), as: UTF8.self) else { throw fail("string is not UTF-8", at: at) }
            return s
        }
        func line(_ at: Int) throws -> String {
            guard let end = bytes[p...].firstIndex(of: 0x0A) else { throw fail("unterminated GLOBAL name", at: at) }
            let s = String(decoding: bytes[p..<end], as: UTF8.self)
            p = end + 1
            return s
        }
        // Nesting depth: values placed inside another are sealed and may not grow deeper
        // afterwards (pickles fill each container before placing it), so every depth recorded
        // is exact and the limit holds for the whole structure.
        func depth(_ v: PickleValue) -> Int {
            switch v {
            case .tuple(_, let d): return d
            case .list(let l): return l.depth
            case .dict(let d): return d.depth
            default: return 0
            }
        }
        func seal(_ items: [PickleValue]) {
            for v in items {
                if case .list(let l) = v { l.sealed = true } else if case .dict(let d) = v { d.sealed = true }
            }
        }
        func nestedDepth(_ items: [PickleValue], _ at: Int) throws -> Int {
            let d = 1 + (items.map(depth).max() ?? 0)
            guard d <= Self.maximumDepth else {
                throw fail("values nest deeper than \(Self.maximumDepth) levels", at: at)
            }
            return d
        }
        func tuple(_ items: [PickleValue], _ at: Int) throws -> PickleValue {
            let d = try nestedDepth(items, at)
            seal(items)
            return .tuple(items, depth: d)
        }
        func deepen(_ current: Int, sealed: Bool, _ items: [PickleValue], _ at: Int) throws -> Int {
            let d = try nestedDepth(items, at)
            guard d > current else { return current }
            guard !sealed else { throw fail("a container grows after being placed inside another value", at: at) }
            return d
        }
        // A container placed inside itself would be a reference cycle, which ARC never frees
        // (LeakSanitizer found one in a fuzzed .pth). It is the only cycle the depth rule lets
        // through: an item that reaches container X through another container is deeper than X,
        // so placing it would deepen X, and X, being inside that other container, is sealed.
        func refuseSelfReference(_ container: AnyObject, _ items: [PickleValue], _ at: Int) throws {
            for v in items {
                let held: AnyObject?
                switch v {
                case .list(let l): held = l
                case .dict(let d): held = d
                default: held = nil
                }
                if held === container { throw fail("a list or dict placed inside itself (a reference cycle)", at: at) }
            }
        }
        func setItems(_ target: PickleValue, _ items: [PickleValue], _ at: Int) throws {
            guard case .dict(let d) = target else { throw fail("SETITEM(S) on a \(target.typeName)", at: at) }
            guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items", at: at) }
            try refuseSelfReference(d, items, at)
            d.depth = try deepen(d.depth, sealed: d.sealed, items, at)
            seal(items)
            for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i], items[i + 1])) }
        }
        func append(_ target: PickleValue, _ items: [PickleValue], _ at: Int) throws {
            guard case .list(let l) = target else { throw fail("APPEND(S) on a \(target.typeName)", at: at) }
            try refuseSelfReference(l, items, at)
            l.depth = try deepen(l.depth, sealed: l.sealed, items, at)
            seal(items)
            l.items.append(contentsOf: items)
        }
        func top(_ at: Int) throws -> PickleValue {
            guard let v = stack.last, stack.count > (marks.last ?? 0) || marks.isEmpty else { throw fail("stack underflow", at: at) }
            return v
        }

        while true {
            let at = p
            guard p < bytes.count else { throw fail("pickle ends without STOP", at: at) }
            let op = bytes[p]
            p += 1
            switch op {
            case 0x80: _ = try take(1, at)                                    // PROTO
            case 0x95: _ = try take(8, at)                                    // FRAME
            case 0x2E: return try pop(at)                                     // STOP '.'
            case 0x7D: let d = PickleDict(); stack.append(.dict(d))           // EMPTY_DICT '}'
            case 0x5D: let l = PickleList(); stack.append(.list(l))           // EMPTY_LIST ']'
            case 0x29: stack.append(.tuple([], depth: 1))                     // EMPTY_TUPLE ')'
            case 0x28: marks.append(stack.count)                              // MARK '('
            case 0x58: stack.append(.string(try text(try uint(4, at), at)))   // BINUNICODE 'X'
            case 0x8C: stack.append(.string(try text(try uint(1, at), at)))   // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(try uint(8, at), at)))   // BINUNICODE8
            case 0x55: stack.append(.string(try text(try uint(1, at), at)))   // SHORT_BINSTRING 'U'
            case 0x42: stack.append(.bytes(Data(try take(try uint(4, at), at))))  // BINBYTES 'B'
            case 0x43: stack.append(.bytes(Data(try take(try uint(1, at), at))))  // SHORT_BINBYTES 'C'
            case 0x71: memo[try uint(1, at)] = try top(at)                    // BINPUT 'q'
            case 0x72: memo[try uint(4, at)] = try top(at)                    // LONG_BINPUT 'r'
            case 0x94: memo[memo.count] = try top(at)                         // MEMOIZE
            case 0x68, 0x6A:                                                  // BINGET 'h', LONG_BINGET 'j'
                let index = try uint(op == 0x68 ? 1 : 4, at)
                guard let v = memo[index] else { throw fail("memo entry \(index) is not set", at: at) }
                stack.append(v)
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4, at)))))  // BININT 'J'
            case 0x4B: stack.append(.int(try uint(1, at)))                    // BININT1 'K'
            case 0x4D: stack.append(.int(try uint(2, at)))                    // BININT2 'M'
            case 0x8A:                                                        // LONG1
                let n = try uint(1, at)
                guard n <= 8 else { throw fail("integer of \(n) bytes is too large", at: at) }
                let raw = try take(n, at)
                var v: UInt64 = 0
                for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                if n > 0 && n < 8 && raw.last! & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
                stack.append(.int(Int(Int64(bitPattern: v))))
            case 0x47:                                                        // BINFLOAT 'G' (big-endian)
                var v: UInt64 = 0
                for b in try take(8, at) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x4E: stack.append(.none)                                    // NONE 'N'
            case 0x88: stack.append(.bool(true))                              // NEWTRUE
            case 0x89: stack.append(.bool(false))                             // NEWFALSE
            case 0x74: stack.append(try tuple(try popMark(at), at))           // TUPLE 't'
            case 0x85: stack.append(try tuple([try pop(at)], at))             // TUPLE1
            case 0x86: let b = try pop(at), a = try pop(at); stack.append(try tuple([a, b], at))            // TUPLE2
            case 0x87: let c = try pop(at), b = try pop(at), a = try pop(at); stack.append(try tuple([a, b, c], at))  // TUPLE3
            case 0x6C: let items = try popMark(at); let l = PickleList(); stack.append(.list(l)); try append(.list(l), items, at)  // LIST 'l'
            case 0x64: let items = try popMark(at); let d = PickleDict(); stack.append(.dict(d)); try setItems(.dict(d), items, at)  // DICT 'd'
            case 0x30: _ = try pop(at)                                        // POP '0'
            case 0x31: _ = try popMark(at)                                    // POP_MARK '1'
            case 0x32: stack.append(try top(at))                              // DUP '2'
            case 0x63:                                                        // GLOBAL 'c'
                let module = try line(at), name = try line(at)
                stack.append(.global(module: module, name: name))
            case 0x93:                                                        // STACK_GLOBAL
                let n = try pop(at), m = try pop(at)
                guard case .string(let module) = m, case .string(let name) = n else { throw fail("STACK_GLOBAL needs two strings", at: at) }
                stack.append(.global(module: module, name: name))
            case 0x51:                                                        // BINPERSID 'Q'
                stack.append(try persistent(try pop(at), at))
            case 0x52:                                                        // REDUCE 'R'
                let args = try pop(at), callable = try pop(at)
                stack.append(try reduce(callable, args, at))
            case 0x81:                                                        // NEWOBJ
                _ = try pop(at)
                let cls = try pop(at)
                stack.append(.object(cls.typeName))
            case 0x62:                                                        // BUILD 'b': state is not interpreted
                _ = try pop(at)
                _ = try top(at)
            case 0x73:                                                        // SETITEM 's'
                let v = try pop(at), k = try pop(at)
                try setItems(try top(at), [k, v], at)
            case 0x75:                                                        // SETITEMS 'u'
                let items = try popMark(at)
                try setItems(try top(at), items, at)
            case 0x61:                                                        // APPEND 'a'
                let v = try pop(at)
                try append(try top(at), [v], at)
            case 0x65:                                                        // APPENDS 'e'
                let items = try popMark(at)
                try append(try top(at), items, at)
            default:
                throw fail(String(format: "unsupported pickle opcode 0x%02X", op) + Self.opcodeName(op), at: at)
            }
        }
    }

    private static func opcodeName(_ op: UInt8) -> String {
        let names: [UInt8: String] = [0x63: "GLOBAL", 0x69: "INST", 0x6F: "OBJ", 0x92: "NEWOBJ_EX", 0x8F: "EMPTY_SET",
                                      0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
                                      0x98: "READONLY_BUFFER", 0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING",
                                      0x56: "UNICODE", 0x50: "PERSID", 0x67: "GET", 0x70: "PUT", 0x8B: "LONG4",
                                      0x54: "BINSTRING", 0x8E: "BINBYTES8"]
        return names[op].map { " (\($0))" } ?? ""
    }

    /// `('storage', torch.XStorage, key, location, numel)`.
    private func persistent(_ pid: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .tuple(let t, _) = pid, t.count >= 5, case .string("storage") = t[0],
              case .global(_, let typeName) = t[1], case .string(let key) = t[2], case .int(let count) = t[4]
        else { throw fail("persistent id is not a torch storage: \(pid.typeName)", at: at) }
        guard let type = TorchScalarType(rawValue: typeName) else {
            throw fail("storage type torch.\(typeName) is not supported", at: at)
        }
        guard count >= 0 else { throw fail("storage \(key) has negative size \(count)", at: at) }
        return .storage(TorchStorageReference(key: key, type: type, count: count))
    }

    private func reduce(_ callable: PickleValue, _ args: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .global(let module, let name) = callable else {
            throw fail("REDUCE on a \(callable.typeName), not a class or function", at: at)
        }
        guard case .tuple(let a, _) = args else { throw fail("REDUCE arguments are a \(args.typeName)", at: at) }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard a.count >= 4, case .storage(let storage) = a[0], case .int(let offset) = a[1],
                  case .tuple(let sizeValues, _) = a[2], case .tuple(let strideValues, _) = a[3] else {
                throw fail("\(module).\(name) with unexpected arguments", at: at)
            }
            let shape = try sizeValues.map { v -> Int in
                guard case .int(let n) = v, n >= 0 else { throw fail("tensor size \(v.typeName) is not a non-negative int", at: at) }
                return n
            }
            let strides = try strideValues.map { v -> Int in
                guard case .int(let n) = v, n >= 0 else { throw fail("tensor stride is not a non-negative int", at: at) }
                return n
            }
            guard shape.count == strides.count, offset >= 0 else {
                throw fail("tensor with \(shape.count) sizes, \(strides.count) strides, offset \(offset)", at: at)
            }
            // Whether the view lies inside its storage is checked against the decoded storage
            // (`TorchCheckpoint.checkView`), where the tensor's key is known.
            return .tensor(TorchTensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = a.first, case .tensor = data else { throw fail("\(module).\(name) without a tensor", at: at) }
            return data
        default:
            return .object("\(module).\(name)")
        }
    }
}
