import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a weights file into the registry: resumable, verified, moved into place only
/// when whole and correct.
///
/// The bytes go to `NAME/model.safetensors.part` (its URL in `model.safetensors.part.url`). A
/// later run from the same URL asks the server for the rest with an HTTP `Range` request (a
/// `206` answer is appended; a `200` answer starts over); a run from another URL starts over.
/// When the transfer is complete the file's SHA-256 is compared with the expected one (a
/// mismatch deletes the part file) and its safetensors header is checked; then it is
/// renamed to `model.safetensors` and its hash recorded in `model.safetensors.sha256`.
///
/// ```swift
/// let download = WeightsDownload(registry: WeightsRegistry(), name: "openai/clip-vit-base-patch16",
///                                url: model.url, expectedSHA256: model.sha256)
/// let result = try download.run { progress in print(progress.line()) }
/// ```
public struct WeightsDownload: Sendable {
    /// What a finished download produced.
    public struct Result: Sendable, Equatable {
        /// The weights file in the registry.
        public let file: URL
        /// Its size.
        public let bytes: Int
        /// Its SHA-256.
        public let sha256: String
        /// Whether the hash was checked against an expected one (otherwise it was only recorded).
        public let verified: Bool
        /// Bytes already present from an earlier, interrupted run.
        public let resumedFrom: Int
    }

    /// A download that did not produce a verified file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What went wrong and what to do next.
        public let description: String
    }

    public let registry: WeightsRegistry
    public let name: String
    public let url: URL
    /// Lower-case hex SHA-256 the file must have, or nil to record whatever arrives.
    public let expectedSHA256: String?
    /// Seconds without any data before the transfer is abandoned.
    public var idleTimeout: Double = 60

    public init(registry: WeightsRegistry, name: String, url: URL, expectedSHA256: String?) {
        self.registry = registry
        self.name = name
        self.url = url
        self.expectedSHA256 = expectedSHA256?.lowercased()
    }

    /// Transfers, verifies and installs the file, calling `progress` as bytes arrive (at most
    /// ten times a second, from a background thread).
    public func run(progress: @escaping @Sendable (TransferProgress) -> Void = { _ in }) throws -> Result {
        try WeightsRegistry.validate(name: name)
        if let hex = expectedSHA256, hex.count != 64 || !hex.allSatisfy(\.isHexDigit) {
            throw Failure(description: "'\(hex)' is not a SHA-256 (64 hexadecimal digits)")
        }
        guard url.scheme == "https" || url.scheme == "http" else {
            throw Failure(description: "\(url.absoluteString): only http and https URLs can be fetched")
        }
        let directory = registry.directory(for: name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let part = registry.partialFile(for: name)
        // The part file is resumed only from the URL it came from (recorded beside it).
        let source = part.appendingPathExtension("url")
        let recorded = try? String(contentsOf: source, encoding: .utf8)
        if FileManager.default.fileExists(atPath: part.path) && recorded != url.absoluteString {
            try? FileManager.default.removeItem(at: part)
        }
        try WeightsRegistry.writeAtomically(url.absoluteString, to: source)
        defer {
            if !FileManager.default.fileExists(atPath: part.path) { try? FileManager.default.removeItem(at: source) }
        }
        if !FileManager.default.fileExists(atPath: part.path) {
            guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
                throw Failure(description: "\(part.path): cannot create")
            }
        }
        let resumedFrom = Int((try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? NSNumber)??.intValue ?? 0)

        let transfer = Transfer(part: part, offset: resumedFrom, progress: progress)
        do {
            try transfer.perform(url: url, idleTimeout: idleTimeout)
        } catch {
            // An empty part file is not worth keeping for a resume.
            if let size = try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? NSNumber, size.intValue == 0 {
                try? FileManager.default.removeItem(at: part)
            }
            throw error
        }

        // Verify, then install.
        let digest = try SHA256.hex(ofFileAt: part)
        if let expected = expectedSHA256, digest != expected {
            try? FileManager.default.removeItem(at: part)
            throw Failure(description: "\(url.absoluteString): downloaded file has SHA-256 \(digest), expected \(expected); the partial file was deleted, nothing was installed")
        }
        do {
            _ = try SafeTensorsFile(path: part.path)
        } catch {
            try? FileManager.default.removeItem(at: part)
            throw Failure(description: "\(url.absoluteString): the downloaded file is not valid safetensors (\(error)); it was deleted")
        }
        let destination = registry.weightsFile(for: name)
        try WeightsRegistry.moveIntoPlace(part, destination)
        try WeightsRegistry.writeAtomically("\(digest)  \(WeightsRegistry.fileName)\n", to: registry.hashRecord(for: name))
        let bytes = registry.entry(name).bytes ?? 0
        return Result(file: destination, bytes: bytes, sha256: digest, verified: expectedSHA256 != nil, resumedFrom: resumedFrom)
    }
}

/// One HTTP transfer into a part file, driven by URLSession's delegate callbacks.
///
/// `@unchecked Sendable`: its mutable state is touched only from the session's serial
/// delegate queue until `done` is signalled, after which only the waiting caller reads it.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let part: URL
    let offset: Int
    let progress: @Sendable (TransferProgress) -> Void
    private var handle: FileHandle?
    private var written = 0
    private var sessionBytes = 0
    private var total: Int?
    private var failure: String?
    private var complete = false
    private var started = Date()
    private var lastReport = Date.distantPast
    private let done = DispatchSemaphore(value: 0)

    init(part: URL, offset: Int, progress: @escaping @Sendable (TransferProgress) -> Void) {
        self.part = part
        self.offset = offset
        self.progress = progress
        self.written = offset
    }

    func perform(url: URL, idleTimeout: Double) throws {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request(url)).resume()
        done.wait()
        if let failure { throw WeightsDownload.Failure(description: failure) }
    }

    private func request(_ url: URL) -> URLRequest {
        var request = URLRequest(url: url)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        return request
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // Keep the Range header across redirects to the file's storage host.
        completionHandler(newRequest.url.map(request) ?? newRequest)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let where_ = response.url?.absoluteString ?? "server"
        guard let http = response as? HTTPURLResponse else {
            failure = "\(where_): not an HTTP response"
            return completionHandler(.cancel)
        }
        let length = response.expectedContentLength >= 0 ? Int(response.expectedContentLength) : nil
        do {
            switch http.statusCode {
            case 206:
                // Content-Range: bytes START-END/TOTAL must continue exactly where the part file ends.
                let range = (http.value(forHTTPHeaderField: "Content-Range") ?? "")
                let numbers = range.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                guard numbers.count >= 2, numbers[0] == offset else {
                    failure = "\(where_): server resumed at '\(range)', expected byte \(offset); run again to retry"
                    return completionHandler(.cancel)
                }
                total = numbers.count >= 3 ? numbers[2] : length.map { $0 + offset }
                handle = try FileHandle(forWritingTo: part)
                try handle?.seek(toOffset: UInt64(offset))
                try handle?.truncate(atOffset: UInt64(offset))
            case 200:
                total = length
                written = 0
                handle = try FileHandle(forWritingTo: part)
                try handle?.truncate(atOffset: 0)
            case 416 where offset > 0:
                // Nothing left to send: the part file already holds the whole file.
                complete = true
                return completionHandler(.cancel)
            default:
                failure = "\(where_): server answered HTTP \(http.statusCode) (\(HTTPURLResponse.localizedString(forStatusCode: http.statusCode)))"
                return completionHandler(.cancel)
            }
        } catch {
            failure = "\(part.path): cannot write (\(error.localizedDescription))"
            return completionHandler(.cancel)
        }
        started = Date()
        report(force: true)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, let handle else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = "\(part.path): cannot write (\(error.localizedDescription))"
            dataTask.cancel()
            return
        }
        written += data.count
        sessionBytes += data.count
        report(force: false)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        try? handle?.synchronize()
        try? handle?.close()
        handle = nil
        if failure == nil && !complete {
            if let error, written == 0 {
                failure = "\(task.originalRequest?.url?.absoluteString ?? "download"): download failed (\(error.localizedDescription))"
            } else if let error {
                failure = "\(task.originalRequest?.url?.absoluteString ?? "download"): transfer interrupted after \(TransferProgress.bytesText(written)) (\(error.localizedDescription)); run the same command again to resume"
            } else if let total, written != total {
                failure = "\(task.originalRequest?.url?.absoluteString ?? "download"): transfer ended at byte \(written) of \(total); run the same command again to resume"
            } else {
                report(force: true)
            }
        }
        done.signal()
    }

    private func report(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastReport) >= 0.1 else { return }
        lastReport = now
        progress(TransferProgress(bytes: written, total: total, sessionBytes: sessionBytes, elapsed: now.timeIntervalSince(started)))
    }
}
