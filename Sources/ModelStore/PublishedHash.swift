import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Math
import FileIO
import ModelFiles

/// The SHA-256 (and size) that a download source publishes for a file, read from the answer
/// to a `HEAD` request that does not follow redirects.
///
/// HuggingFace answers `HEAD https://huggingface.co/REPO/resolve/REVISION/FILE` for a file
/// kept in Git LFS with a redirect to its storage host that carries
/// `X-Linked-Etag: "<sha256>"` and `X-Linked-Size: <bytes>`. The redirect itself is read and
/// never followed, so the hash comes from the host named in the URL. When there is no
/// `X-Linked-Etag`, an `ETag` of exactly 64 hexadecimal digits is taken instead. A weak
/// marker (`W/`) and the quotes are removed and the digits lower-cased.
///
/// ```swift
/// switch PublishedHash.lookup(model.url, timeout: 30) {
/// case .published(let hash): print(hash.sha256, hash.bytes ?? -1)   // "2fd3...a1fcc9" 16528
/// case .unavailable(let reason): print("not verified: \(reason)")
/// }
/// PublishedHash.sha256(fromETag: #"W/"2FD3...A1FCC9""#)              // "2fd3...a1fcc9"
/// ```
public struct PublishedHash: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the file.
    public let sha256: String
    /// Size of the file in bytes, when `X-Linked-Size` gives it.
    public let bytes: Int?
    /// The header the hash was read from: `X-Linked-Etag` or `ETag`.
    public let header: String
    /// The URL whose answer published it.
    public let source: URL

    /// What asking a source for its published hash found.
    public enum Lookup: Sendable, Equatable {
        /// The source publishes this hash.
        case published(PublishedHash)
        /// The source publishes no usable hash, for this reason (one line).
        case unavailable(reason: String)
    }

    public init(sha256: String, bytes: Int?, header: String, source: URL) {
        self.sha256 = sha256
        self.bytes = bytes
        self.header = header
        self.source = source
    }

    /// The host that published it, e.g. `huggingface.co`.
    public var publisher: String { source.host ?? source.absoluteString }

    /// `"published by huggingface.co in X-Linked-Etag"`.
    public var origin: String { "published by \(publisher) in \(header)" }

    /// The SHA-256 in an entity tag such as `W/"2fd3...a1fcc9"`, or nil unless what is left
    /// after removing `W/` and one pair of quotes is exactly 64 ASCII hexadecimal digits.
    public static func sha256(fromETag value: String) -> String? {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = text.dropFirst().dropLast() }
        let hex = text.lowercased()
        return isSHA256Hex(hex) ? hex : nil
    }

    /// Whether `text` is 64 lower-case ASCII hexadecimal digits.
    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// The hash published in `response`, the answer to a `HEAD` of its URL. Any status below
    /// 400 is read (HuggingFace answers with a redirect); `X-Linked-Etag` decides when present.
    public static func read(_ response: HTTPURLResponse) -> Lookup {
        let url = response.url?.absoluteString ?? "the source"
        guard response.statusCode < 400 else {
            return .unavailable(reason: "HEAD \(url) answered HTTP \(response.statusCode)")
        }
        let size = response.value(forHTTPHeaderField: "X-Linked-Size")
            .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
        let source = response.url ?? URL(fileURLWithPath: "/")
        if let linked = response.value(forHTTPHeaderField: "X-Linked-Etag") {
            guard let hex = sha256(fromETag: linked) else {
                return .unavailable(reason: "HEAD \(url): X-Linked-Etag '\(linked)' is not a SHA-256")
            }
            return .published(PublishedHash(sha256: hex, bytes: size, header: "X-Linked-Etag", source: source))
        }
        if let hex = response.value(forHTTPHeaderField: "ETag").flatMap(sha256(fromETag:)) {
            return .published(PublishedHash(sha256: hex, bytes: size, header: "ETag", source: source))
        }
        return .unavailable(reason: "HEAD \(url) answered HTTP \(response.statusCode) with no X-Linked-Etag and no ETag that is a SHA-256")
    }

    /// Asks `url` with a `HEAD` request, redirects not followed, waiting at most `timeout`
    /// seconds for an answer.
    public static func lookup(_ url: URL, timeout: Double) -> Lookup {
        HeadRequest().perform(url, timeout: timeout)
    }
}

/// One `HEAD` request whose redirects are answered with "do not follow", so the redirect
/// itself is the response.
///
/// `@unchecked Sendable`: `response` and `failure` are set only from the session's serial
/// delegate queue before `done` is signalled, and read by the waiting caller after it.
private final class HeadRequest: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private var response: HTTPURLResponse?
    private var failure: String?
    private let done = DispatchSemaphore(value: 0)

    func perform(_ url: URL, timeout: Double) -> PublishedHash.Lookup {
        let session = URLSession.serialUncached(timeout: timeout, delegate: self)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        request.httpMethod = "HEAD"
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        session.dataTask(with: request).resume()
        done.wait()
        if let response { return PublishedHash.read(response) }
        return .unavailable(reason: "HEAD \(url.absoluteString) failed (\(failure ?? "no answer"))")
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // The redirect carries the published headers; its target is another host's.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        self.response = response as? HTTPURLResponse
        if self.response == nil { failure = "not an HTTP response" }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        // A redirect that was not followed may arrive only as the task's response.
        if response == nil { response = task.response as? HTTPURLResponse }
        if response == nil, failure == nil {
            failure = error?.localizedDescription ?? "no answer"
        }
        done.signal()
    }
}
