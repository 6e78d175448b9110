import XCTest
import Math

/// The first element where two arrays disagree: past the tolerance, or not finite on
/// either side.
public struct NumericMismatch: CustomStringConvertible, Equatable {
    public let index: Int
    public let actual: Double
    public let expected: Double

    public var description: String { "element \(index): \(actual) vs expected \(expected)" }
}

/// The one numeric comparison of the test suite, NaN-strict: element `i` passes when both
/// values are finite and `|actual - expected| <= tolerance`. NaN or infinity on either side
/// fails (a max-reduction such as `max(worst, abs(a - b))` drops NaN, so an all-NaN result
/// would pass it). Returns nil when every element passes and the counts agree.
public func firstMismatch<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [B], tolerance: Double) -> NumericMismatch? {
    for i in 0..<min(actual.count, expected.count) {
        let a = Double(actual[i]), e = Double(expected[i])
        guard a.isFinite, e.isFinite, abs(a - e) <= tolerance else {
            return NumericMismatch(index: i, actual: a, expected: e)
        }
    }
    return nil
}

/// Asserts that `actual` and `expected` have the same count and agree element by element
/// within `tolerance` (absolute), NaN-strict; the failure names the first bad index and
/// both values.
public func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [B], tolerance: Double, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message()): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    if let bad = firstMismatch(actual, expected, tolerance: tolerance) {
        XCTFail("\(message()): \(bad) (tolerance \(tolerance))", file: file, line: line)
    }
}

/// `assertClose` for tensors: the shapes must be equal too.
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Double,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(message()): shape \(actual.shape), expected \(expected.shape)", file: file, line: line)
        return
    }
    assertClose(actual.data, expected.data, tolerance: tolerance, message(), file: file, line: line)
}

/// Asserts `|actual - expected| <= tolerance` for one value, NaN-strict.
public func assertClose<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(
    _ actual: A, _ expected: B, tolerance: Double, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], tolerance: tolerance, message(), file: file, line: line)
}

/// The largest `|actual - expected|`, NaN-strict: infinity when a value on either side is
/// not finite or the counts differ (for reporting a figure, never for passing a test alone).
public func largestDifference<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ actual: [A], _ expected: [B]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    var worst = 0.0
    for i in 0..<actual.count {
        let a = Double(actual[i]), e = Double(expected[i])
        guard a.isFinite, e.isFinite else { return .infinity }
        worst = Swift.max(worst, abs(a - e))
    }
    return worst
}
