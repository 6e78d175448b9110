import Foundation
import XCTest

/// PyTorch/PIL reference values for the kernels, written by scripts/fixtures/make_math_fixtures.py.
enum KernelFixture {
    // Safe: written once by the lazy initialiser (which Swift runs exactly once) and only read after.
    nonisolated(unsafe) static let cases: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/math/kernels.json")
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func dictionary(_ name: String) -> [String: Any] { cases[name] as! [String: Any] }
    static func list(_ name: String) -> [[String: Any]] { cases[name] as! [[String: Any]] }
}

extension Dictionary where Key == String, Value == Any {
    func floats(_ key: String) -> [Float] { (self[key] as! [NSNumber]).map { $0.floatValue } }
    func bytes(_ key: String) -> [UInt8] { (self[key] as! [NSNumber]).map { $0.uint8Value } }
    func int(_ key: String) -> Int { (self[key] as! NSNumber).intValue }
    func float(_ key: String) -> Float { (self[key] as! NSNumber).floatValue }
}
