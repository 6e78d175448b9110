import Math
import FileIO
import ModelFiles
/// How far a download has come, and a one-line text rendering of it.
///
/// ```swift
/// let p = TransferProgress(bytes: 52_428_800, total: 104_857_600, sessionBytes: 52_428_800, elapsed: 4)
/// p.line(barWidth: 20)   // " 50% [##########..........]  52.4 MB / 104.9 MB  13.1 MB/s  ETA 0:04"
/// ```
public struct TransferProgress: Sendable, Equatable {
    /// Bytes in the file so far, including any resumed from an earlier run.
    public let bytes: Int
    /// Size of the whole file, when the server says.
    public let total: Int?
    /// Bytes received in this run (the rate counts only these).
    public let sessionBytes: Int
    /// Seconds since this run's transfer started.
    public let elapsed: Double

    public init(bytes: Int, total: Int?, sessionBytes: Int, elapsed: Double) {
        self.bytes = bytes
        self.total = total
        self.sessionBytes = sessionBytes
        self.elapsed = elapsed
    }

    /// Bytes per second in this run.
    public var rate: Double { elapsed > 0 ? Double(sessionBytes) / elapsed : 0 }

    /// Seconds left at the current rate, when the size is known and data is flowing.
    public var secondsLeft: Double? {
        guard let total, rate > 0 else { return nil }
        return Double(max(0, total - bytes)) / rate
    }

    /// Fraction done in 0...1, when the size is known.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, Double(bytes) / Double(total))
    }

    /// `" 34% [#####.....]  204.1 MB / 599.0 MB  12.3 MB/s  ETA 0:32"`.
    public func line(barWidth: Int = 30) -> String {
        var parts = [String]()
        if let f = fraction {
            let filled = Int((f * Double(barWidth)).rounded(.down))
            let percent = String(Int((f * 100).rounded(.down)))
            parts.append(String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "% ["
                         + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]")
            parts.append("\(Self.bytesText(bytes)) / \(Self.bytesText(total ?? 0))")
        } else {
            parts.append(Self.bytesText(bytes))
        }
        parts.append("\(Self.bytesText(Int(rate)))/s")
        parts.append("ETA " + (secondsLeft.map(Self.durationText) ?? "--:--"))
        return parts.joined(separator: "  ")
    }

    /// Decimal units, one decimal: `"599.0 MB"`, `"812 B"`.
    public static func bytesText(_ n: Int) -> String {
        let units = ["kB", "MB", "GB", "TB"]
        guard n >= 1000 else { return "\(n) B" }
        var value = Double(n) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    /// `"0:32"`, `"12:05"`, `"1:02:03"`.
    public static func durationText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }
}
