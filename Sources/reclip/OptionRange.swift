import ArgumentParser

/// The one range check of numeric options: a value outside `range` (or NaN, or infinite) is a
/// `ValidationError` that names the option and gives the valid range, before any work starts.
///
/// ```swift
/// try OptionRange.check(epochs, in: 1...10_000, "--epochs")   // "--epochs 0: use 1...10000"
/// ```
enum OptionRange {
    static func check<T: BinaryInteger>(_ value: T, in range: ClosedRange<T>, _ name: String, unit: String = "") throws {
        guard range.contains(value) else {
            throw ValidationError("\(name) \(value): use \(range.lowerBound)...\(range.upperBound)\(unit.isEmpty ? "" : " " + unit)")
        }
    }

    static func check<T: BinaryFloatingPoint>(_ value: T, in range: ClosedRange<T>, _ name: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(name) \(value): use a finite number in \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
