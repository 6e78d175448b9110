import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) serving one body, for download
/// tests. Each GET is answered by the next scripted behaviour (then `.serve`), each HEAD by
/// the next scripted head behaviour (then a plain 200 with no hash headers); the two are
/// logged apart in `requests` and `headRequests`. It runs on a background thread and stops
/// by itself after `lifetime` seconds at the latest.
///
/// `@unchecked Sendable`: the logs and scripts are guarded by `lock`; the socket is used by
/// the server thread only, apart from `stop()` which just sets a flag.
final class LoopbackHTTPServer: @unchecked Sendable {
    enum Behaviour {
        /// 200 with the body, or 206 from the requested `Range`.
        case serve
        /// Headers for the full answer, then only this many body bytes, then the connection closes.
        case cutAfter(Int)
        /// The full answer with one body byte altered.
        case corrupt
        /// 200 with the whole body even when a Range was asked for.
        case ignoreRange
        /// An empty answer with this status code.
        case status(Int)
        /// A 302 redirect to this path on the same server.
        case redirect(String)
        /// A 206 for the asked range whatever `If-Range` says, carrying this ETag: a server
        /// that does not honour If-Range, whose file changed.
        case partialWithETag(String)
        /// The answer `serve` gives, its body sent `bytes` at a time with `interval` seconds between.
        case trickle(bytes: Int, interval: Double)
    }

    /// How a HEAD request is answered (never with a body).
    enum HeadBehaviour {
        /// 200 with the body's Content-Length and these extra header lines.
        case answer([String])
        /// A 302 redirect to this path on the same server, carrying these extra header lines
        /// itself (as a HuggingFace resolve URL answers for an LFS file).
        case redirect(String, [String])
        /// An empty answer with this status code.
        case status(Int)
    }

    struct Request: Equatable {
        let line: String
        let range: String?
        var ifRange: String? = nil
    }

    /// The body served now (`replaceBody` changes it, as a file changing on the server).
    var body: Data { lock.lock(); defer { lock.unlock() }; return currentBody }
    /// The strong ETag of the current body, sent with every GET answer unless `sendsValidators` is off.
    var etag: String { "\"" + String(Self.fnv1a(body), radix: 16) + "\"" }
    /// Whether answers carry an ETag (off: a server that gives no validator).
    let sendsValidators: Bool
    private var currentBody: Data
    private(set) var port: UInt16 = 0
    private var behaviours: [Behaviour]
    private var headBehaviours: [HeadBehaviour]
    private var received = [Request]()
    private var receivedHeads = [Request]()
    private var stopped = false
    private let lock = NSLock()
    private let socketFD: Int32

    /// The GET requests received, in order.
    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return received }
    /// The HEAD requests received, in order.
    var headRequests: [Request] { lock.lock(); defer { lock.unlock() }; return receivedHeads }

    init(body: Data, behaviours: [Behaviour] = [], headBehaviours: [HeadBehaviour] = [], lifetime: Double = 30,
         sendsValidators: Bool = true) throws {
        self.sendsValidators = sendsValidators
        self.currentBody = body
        self.behaviours = behaviours
        self.headBehaviours = headBehaviours
        #if canImport(Glibc)
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socketFD = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socketFD >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socketFD, 8) == 0 else { close(socketFD); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let deadline = Date().addingTimeInterval(lifetime)
        let thread = Thread { [self] in self.serve(until: deadline) }
        thread.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/model.safetensors")! }

    func stop() { lock.lock(); stopped = true; lock.unlock() }

    /// Replaces the file the server serves.
    func replaceBody(_ data: Data) { lock.lock(); currentBody = data; lock.unlock() }

    /// FNV-1a over the bytes: a content tag for the ETag.
    static func fnv1a(_ data: Data) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    private func serve(until deadline: Date) {
        defer { close(socketFD) }
        while Date() < deadline {
            lock.lock(); let halt = stopped; lock.unlock()
            if halt { return }
            var poller = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        // Read the request head (bounded in size and time).
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 65536, !head.contains(Data("\r\n\r\n".utf8)) {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            head.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let range = lines.first { $0.lowercased().hasPrefix("range:") }.map {
            $0.dropFirst("range:".count).trimmingCharacters(in: .whitespaces)
        }
        let ifRange = lines.first { $0.lowercased().hasPrefix("if-range:") }.map {
            $0.dropFirst("if-range:".count).trimmingCharacters(in: .whitespaces)
        }
        let request = Request(line: lines.first ?? "", range: range, ifRange: ifRange)
        if request.line.hasPrefix("HEAD ") { return answerHead(client, request) }
        lock.lock()
        received.append(request)
        let behaviour = behaviours.isEmpty ? .serve : behaviours.removeFirst()
        lock.unlock()

        if case .redirect(let path) = behaviour {
            send(client, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:\(port)\(path)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        if case .status(let code) = behaviour {
            send(client, "HTTP/1.1 \(code) Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        let body = self.body, etag = self.etag
        let tag = sendsValidators ? "ETag: \(etag)\r\n" : ""
        var start = 0
        if case .ignoreRange = behaviour {} else if let range, range.hasPrefix("bytes="), range.hasSuffix("-"),
                                                    let from = Int(range.dropFirst(6).dropLast()) {
            start = from
        }
        // RFC 9110 If-Range: the range is served only if the validator still matches.
        if let ifRange = request.ifRange, ifRange != etag, !isPartialWithETag(behaviour) { start = 0 }
        if case .partialWithETag(let other) = behaviour {
            let payload = body.subdata(in: start..<body.count)
            send(client, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\nETag: \(other)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n")
            send(client, payload)
            return
        }
        if start >= body.count && start > 0 {
            send(client, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(body.count)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        var payload = body.subdata(in: start..<body.count)
        var status = start > 0 ? "206 Partial Content" : "200 OK"
        var extra = start > 0 ? "Content-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\n" : ""
        if case .ignoreRange = behaviour { status = "200 OK"; extra = "" }
        if case .corrupt = behaviour, !payload.isEmpty { payload[payload.startIndex + payload.count / 2] ^= 0xFF }
        send(client, "HTTP/1.1 \(status)\r\n\(extra)\(tag)Content-Length: \(payload.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
        if case .cutAfter(let n) = behaviour { payload = payload.prefix(n) }
        if case .trickle(let bytes, let interval) = behaviour {
            var offset = 0
            while offset < payload.count {
                lock.lock(); let halt = stopped; lock.unlock()
                if halt { return }
                let end = min(payload.count, offset + bytes)
                send(client, payload.subdata(in: (payload.startIndex + offset)..<(payload.startIndex + end)))
                offset = end
                Thread.sleep(forTimeInterval: interval)
            }
            return
        }
        send(client, payload)
    }

    private func isPartialWithETag(_ b: Behaviour) -> Bool {
        if case .partialWithETag = b { return true }
        return false
    }

    private func answerHead(_ client: Int32, _ request: Request) {
        lock.lock()
        receivedHeads.append(request)
        let behaviour = headBehaviours.isEmpty ? .answer([]) : headBehaviours.removeFirst()
        lock.unlock()
        switch behaviour {
        case .answer(let headers):
            let extra = headers.map { $0 + "\r\n" }.joined()
            send(client, "HTTP/1.1 200 OK\r\n\(extra)Content-Length: \(body.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
        case .redirect(let path, let headers):
            let extra = headers.map { $0 + "\r\n" }.joined()
            send(client, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:\(port)\(path)\r\n\(extra)Content-Length: 0\r\nConnection: close\r\n\r\n")
        case .status(let code):
            send(client, "HTTP/1.1 \(code) Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
    }

    private func send(_ client: Int32, _ text: String) { send(client, Data(text.utf8)) }

    private func send(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var sent = 0
            while sent < raw.count {
                #if canImport(Glibc)
                let n = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                let n = Darwin.send(client, raw.baseAddress! + sent, raw.count - sent, 0)
                #endif
                if n <= 0 { return }
                sent += n
            }
        }
    }
}
