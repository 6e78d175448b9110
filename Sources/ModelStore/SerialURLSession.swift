import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Math
import FileIO
import ModelFiles

extension URLSession {
    /// An ephemeral session that never answers from a cache, with `timeout` seconds allowed
    /// between packets, whose delegate callbacks run one at a time (on a serial queue), so a
    /// delegate may keep its state in plain properties.
    static func serialUncached(timeout: Double, delegate: URLSessionDelegate) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        return URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }
}
