import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Math
import FileIO
import ModelFiles

/// Downloads a weights file into the registry: resumable, verified, moved into place only
/// when whole and correct.
///
/// The bytes go to `NAME/model.safetensors.part` (its URL in `model.safetensors.part.url`, and
/// the server's validator for the file, its strong ETag or else its Last-Modified date, in
/// `model.safetensors.part.validator`). A later run from the same URL asks for the rest with an
/// HTTP `Range` request carrying that validator as `If-Range`, so the server sends the rest only
/// if the file is still the one the part came from (a `206` answer is appended; a `200` answer,
/// the whole file, starts over). A `206` whose own validator differs is refused and the part
/// deleted. A part with no recorded validator, or from another URL, is not resumed.
///
/// Work is bounded: `idleTimeout` seconds without data, `deadline` seconds in all, and a
/// low-speed limit (less than `lowSpeedLimit` bytes a second over `lowSpeedWindow` seconds)
/// each end the transfer with an error that says how to resume.
///
/// The hash to check is the expected one when given. Otherwise, before any byte is fetched,
/// the URL is asked with a `HEAD` request, redirects not followed, for the hash it publishes
/// (`PublishedHash`: HuggingFace's `X-Linked-Etag` and `X-Linked-Size`). When the transfer is
/// complete the file's size and SHA-256 are compared with that hash (a mismatch deletes the
/// part file) and its safetensors header is checked; then it is renamed to
/// `model.safetensors` and its hash recorded in `model.safetensors.sha256` with a comment line
/// saying what it was checked against. A source that publishes no hash gets its file
/// installed unchecked, and the record and `Result.verification` say why.
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
        /// What the hash was checked against, or why it was not.
        public let verification: Verification
        /// Whether the hash was checked (otherwise it was only recorded).
        public var verified: Bool {
            if case .unverified = verification { return false }
            return true
        }
        /// Bytes already present from an earlier, interrupted run.
        public let resumedFrom: Int
    }

    /// What a downloaded file's SHA-256 was checked against.
    public enum Verification: Sendable, Equatable {
        /// The hash given in advance (the registry's pinned value, or `--sha256`).
        case expected
        /// The hash its source published.
        case published(PublishedHash)
        /// Nothing: the source published no hash, for this reason; the hash was only recorded.
        case unverified(reason: String)

        /// One line for the hash record and the command's report, e.g.
        /// `"verified against the SHA-256 published by huggingface.co in X-Linked-Etag"`.
        public var note: String {
            switch self {
            case .expected: return "verified against the expected SHA-256"
            case .published(let hash): return "verified against the SHA-256 \(hash.origin)"
            case .unverified(let reason): return "recorded, not verified: \(reason)"
            }
        }
    }

    /// A download that did not produce a verified file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What went wrong and what to do next.
        public let description: String
    }

    public let registry: WeightsRegistry
    public let name: String
    public let url: URL
    /// Lower-case hex SHA-256 the file must have, or nil to check the hash the source
    /// publishes (or, when it publishes none, record whatever arrives).
    public let expectedSHA256: String?
    /// Seconds without any data before the transfer is abandoned.
    public var idleTimeout: Double = 60
    /// Seconds the whole transfer may take (a ViT-L/14 file at 2 MB/s takes under 15 minutes).
    public var deadline: Double = 4 * 3600
    /// The transfer is abandoned when it receives fewer than this many bytes a second...
    public var lowSpeedLimit: Double = 1024
    /// ...on average over this many seconds (as curl's `--speed-limit` / `--speed-time`).
    public var lowSpeedWindow: Double = 60

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
        if let hex = expectedSHA256, !PublishedHash.isSHA256Hex(hex) {
            throw Failure(description: "'\(hex)' is not a SHA-256 (64 hexadecimal digits)")
        }
        guard url.scheme == "https" || url.scheme == "http" else {
            throw Failure(description: "\(url.absoluteString): only http and https URLs can be fetched")
        }
        let directory = registry.directory(for: name)
        try FolderCreation.make(directory.path)
        let part = registry.partialFile(for: name)
        // The part file is resumed only from the URL it came from (recorded beside it).
        let source = part.appendingPathExtension("url")
        let recorded = FileChanges.text(source.path)
        if PathKind.of(part.path) != nil && recorded != url.absoluteString {
            FileChanges.remove(part.path)
        }
        try WeightsRegistry.writeAtomically(url.absoluteString, to: source)
        defer {
            if PathKind.of(part.path) == nil { FileChanges.remove(source.path) }
        }
        if PathKind.of(part.path) == nil {
            guard FileChanges.truncate(part.path) else {
                throw Failure(description: "\(terminalSafe(part.path)): cannot create")
            }
        }
        // Without an expected hash, the one the source publishes is checked instead.
        let published = expectedSHA256 == nil ? PublishedHash.lookup(url, timeout: idleTimeout) : nil
        // A part is resumed only with the validator of the file it came from.
        let validatorFile = part.appendingPathExtension("validator")
        let validator = (FileChanges.text(validatorFile.path)).flatMap { $0.isEmpty ? nil : $0 }
        if validator == nil, (Self.size(of: part) ?? 0) > 0 {
            guard FileChanges.truncate(part.path) else {
                throw Failure(description: "\(terminalSafe(part.path)): cannot truncate")
            }
        }
        let resumedFrom = Self.size(of: part) ?? 0

        let limits = TransferLimits(idle: idleTimeout, deadline: deadline, lowSpeed: lowSpeedLimit, window: lowSpeedWindow)
        let transfer = Transfer(part: part, offset: resumedFrom, validator: validator, limits: limits, progress: progress)
        do {
            try transfer.perform(url: url)
            if let started = transfer.startedValidator {
                try WeightsRegistry.writeAtomically(started, to: validatorFile)
            } else if transfer.startedOver {
                FileChanges.remove(validatorFile.path)
            }
        } catch {
            // Keep what the transfer learned about the file, for the resume.
            if let started = transfer.startedValidator {
                try? WeightsRegistry.writeAtomically(started, to: validatorFile)
            } else if transfer.startedOver || transfer.validatorMismatch {
                FileChanges.remove(validatorFile.path)
            }
            if transfer.validatorMismatch { FileChanges.remove(part.path) }
            // An empty part file is not worth keeping for a resume.
            if Self.size(of: part) == 0 {
                FileChanges.remove(part.path)
            }
            throw error
        }

        // Verify, then install.
        let verification: Verification
        switch published {
        case nil: verification = .expected
        case .published(let hash)?: verification = .published(hash)
        case .unavailable(let reason)?: verification = .unverified(reason: reason)
        }
        let digest = try checkedDigest(of: part, verification)
        do {
            _ = try SafeTensorsFile(path: part.path)
        } catch {
            FileChanges.remove(part.path)
            throw Failure(description: "\(url.absoluteString): the downloaded file is not valid safetensors (\(error)); it was deleted")
        }
        let destination = registry.weightsFile(for: name)
        try WeightsRegistry.moveIntoPlace(part, destination)
        FileChanges.remove(validatorFile.path)
        try WeightsRegistry.writeAtomically("\(digest)  \(WeightsRegistry.fileName)\n# \(verification.note)\n",
                                            to: registry.hashRecord(for: name))
        let bytes = registry.entry(name).bytes ?? 0
        return Result(file: destination, bytes: bytes, sha256: digest, verification: verification,
                      resumedFrom: transfer.startedOver ? 0 : resumedFrom)
    }

    /// The SHA-256 of `part`, once its size and hash agree with what `verification` expects;
    /// a disagreement deletes `part`.
    private func checkedDigest(of part: URL, _ verification: Verification) throws -> String {
        func rejection(_ problem: String) -> Failure {
            FileChanges.remove(part.path)
            return Failure(description: "\(url.absoluteString): downloaded file has \(problem); the partial file was deleted, nothing was installed")
        }
        if case .published(let hash) = verification, let want = hash.bytes, let size = Self.size(of: part), size != want {
            throw rejection("\(size) bytes, expected \(want) (published by \(hash.publisher) in X-Linked-Size)")
        }
        let digest = try SHA256.hex(ofFileAt: part)
        switch verification {
        case .expected where digest != expectedSHA256:
            throw rejection("SHA-256 \(digest), expected \(expectedSHA256 ?? "none")")
        case .published(let hash) where digest != hash.sha256:
            throw rejection("SHA-256 \(digest), expected \(hash.sha256) (\(hash.origin))")
        default:
            return digest
        }
    }

    /// Size of the file at `url`, when it exists.
    private static func size(of url: URL) -> Int? {
        FileStamp.attributes(url.path)?.size
    }
}

/// The bounds on one transfer: seconds without data, seconds in all, and the low-speed limit.
private struct TransferLimits: Sendable {
    let idle: Double, deadline: Double, lowSpeed: Double, window: Double
}

/// One HTTP transfer into a part file, driven by URLSession's delegate callbacks.
///
/// `@unchecked Sendable`: its mutable state is touched only from the session's serial
/// delegate queue until `done` is signalled, after which only the waiting caller reads it.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let part: URL
    let offset: Int
    /// The validator the part file was started with (sent as If-Range), if resuming.
    let validator: String?
    let limits: TransferLimits
    let progress: @Sendable (TransferProgress) -> Void
    /// The validator of a transfer that started the file from byte 0 (to record for a resume).
    private(set) var startedValidator: String?
    /// Whether the server sent the whole file (the part was started over).
    private(set) var startedOver = false
    /// Whether the server resumed a file other than the part's.
    private(set) var validatorMismatch = false
    /// (time, bytes received so far) samples over the low-speed window.
    private var samples: [(Date, Int)] = []
    private var handle: FileHandle?
    private var written = 0
    private var sessionBytes = 0
    private var total: Int?
    private var failure: String?
    private var complete = false
    private var started = Date()
    private var lastReport = Date.distantPast
    private let done = DispatchSemaphore(value: 0)

    init(part: URL, offset: Int, validator: String?, limits: TransferLimits,
         progress: @escaping @Sendable (TransferProgress) -> Void) {
        self.part = part
        self.offset = offset
        self.validator = validator
        self.limits = limits
        self.progress = progress
        self.written = offset
    }

    func perform(url: URL) throws {
        let session = URLSession.serialUncached(timeout: limits.idle, delegate: self)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request(url)).resume()
        done.wait()
        if let failure { throw WeightsDownload.Failure(description: failure) }
    }

    private func request(_ url: URL) -> URLRequest {
        var request = URLRequest(url: url)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if offset > 0, let validator {
            request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range")
            request.setValue(validator, forHTTPHeaderField: "If-Range")
        }
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
        let answered = Self.validator(of: http)
        do {
            switch http.statusCode {
            case 206 where answered != nil && answered != validator:
                validatorMismatch = true
                failure = "\(where_): the file changed on the server since the partial download began (validator \(terminalSafe(answered ?? "")), expected \(terminalSafe(validator ?? "none"))); the partial file was deleted, run again to start over"
                return completionHandler(.cancel)
            case 206:
                // Content-Range: bytes START-END/TOTAL must continue exactly where the part file ends.
                let range = (http.value(forHTTPHeaderField: "Content-Range") ?? "")
                let numbers = range.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                guard numbers.count >= 2, numbers[0] == offset else {
                    failure = "\(where_): server resumed at '\(range)', expected byte \(offset); run again to retry"
                    return completionHandler(.cancel)
                }
                total = numbers.count >= 3 ? numbers[2] : length.map { $0 + offset }
                handle = try FileChanges.handleForWriting(part.path)
                try handle?.seek(toOffset: UInt64(offset))
                try handle?.truncate(atOffset: UInt64(offset))
            case 200:
                total = length
                written = 0
                startedOver = true
                startedValidator = answered
                handle = try FileChanges.handleForWriting(part.path)
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

    /// The response's strong ETag, else its Last-Modified date: what `If-Range` may carry.
    static func validator(of response: HTTPURLResponse) -> String? {
        if let etag = response.value(forHTTPHeaderField: "ETag"), !etag.hasPrefix("W/"), !etag.isEmpty { return etag }
        return response.value(forHTTPHeaderField: "Last-Modified")
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, let handle else { return }
        let now = Date()
        if now.timeIntervalSince(started) > limits.deadline {
            failure = "\(dataTask.originalRequest?.url?.absoluteString ?? "download"): the transfer took longer than its \(String(format: "%g", limits.deadline)) s deadline at \(TransferProgress.bytesText(written)); run the same command again to resume"
            dataTask.cancel()
            return
        }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = "\(part.path): cannot write (\(error.localizedDescription))"
            dataTask.cancel()
            return
        }
        written += data.count
        sessionBytes += data.count
        samples.append((now, sessionBytes))
        while let first = samples.first, now.timeIntervalSince(first.0) > limits.window { samples.removeFirst() }
        // Below the low-speed limit for a whole window (measured from the transfer's start on).
        if now.timeIntervalSince(started) >= limits.window, let first = samples.first,
           Double(sessionBytes - first.1) < limits.lowSpeed * limits.window {
            failure = "\(dataTask.originalRequest?.url?.absoluteString ?? "download"): slower than \(String(format: "%g", limits.lowSpeed)) bytes a second for \(String(format: "%g", limits.window)) s at \(TransferProgress.bytesText(written)); run the same command again to resume"
            dataTask.cancel()
            return
        }
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
