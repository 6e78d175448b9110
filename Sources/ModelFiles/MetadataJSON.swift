import Foundation

/// Values a safetensors `__metadata__` string holds as JSON text (the string map has no other
/// types): a rectifier's or a cache's class list, a cached sample's pseudo labels. Encoded and
/// decoded as their own `Codable` types, compact, as the files have always stored them.
///
/// ```swift
/// meta["classes"] = try MetadataJSON.text(["background", "cat"])   // ["background","cat"]
/// let labels = MetadataJSON.value([Int].self, from: "[0,3,3]")      // [0, 3, 3]
/// ```
public enum MetadataJSON {
    /// `value` as compact JSON text.
    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// `text` decoded as a `T`, or nil when it is not JSON of that type.
    public static func value<T: Decodable>(_ type: T.Type, from text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
