import Foundation
import Testing
import Tensors

/// The largest absolute and relative differences between two equally long float sequences.
public struct Discrepancy: Sendable, CustomStringConvertible {
    public var maxAbs: Double = 0
    public var maxRel: Double = 0
    /// The flat index of the worst violation of the tolerance, if any.
    public var worst: Int?

    public var description: String {
        String(format: "max abs error %.3g, max rel error %.3g", maxAbs, maxRel)
    }
}

/// Compares element by element: |a − e| ≤ atol + rtol·|e| must hold everywhere.
public func discrepancy(_ actual: UnsafeBufferPointer<Float>, _ expected: UnsafeBufferPointer<Float>,
                        rtol: Double, atol: Double) -> Discrepancy {
    var d = Discrepancy()
    var worstExcess = 0.0
    for i in 0..<min(actual.count, expected.count) {
        let a = Double(actual[i]), e = Double(expected[i])
        let err = Swift.abs(a - e)
        if !(err.isFinite) || a.isNaN != e.isNaN {
            d.maxAbs = .infinity; d.maxRel = .infinity; d.worst = i; break
        }
        d.maxAbs = max(d.maxAbs, err)
        let size = max(Swift.abs(e), atol / max(rtol, 1e-30))
        if size > 0 { d.maxRel = max(d.maxRel, err / size) }
        let excess = err - (atol + rtol * Swift.abs(e))
        if excess > worstExcess { worstExcess = excess; d.worst = i }
    }
    return d
}

/// Expects `actual` to match `expected` in shape, then element by element within
/// |a − e| ≤ atol + rtol·|e|; on failure records the max abs/rel error and the worst element.
public func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5,
                        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(what) shape \(actual.shape) ≠ expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let d = discrepancy(UnsafeBufferPointer(actual.buffer), UnsafeBufferPointer(expected.buffer),
                        rtol: Double(rtol), atol: Double(atol))
    if let i = d.worst {
        Issue.record("\(what) not close: \(d); worst at flat index \(i) (\(index(i, in: actual.shape))): got \(actual[i]), expected \(expected[i])",
                     sourceLocation: sourceLocation)
    }
}

/// Expects `actual` to have `shape` and the given row-major `expected` values.
public func assertClose(_ actual: Tensor, shape: [Int], _ expected: [Float], rtol: Float = 1e-4, atol: Float = 1e-5,
                        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard expected.count == shape.elementCount else {
        Issue.record("\(what) \(expected.count) expected values for shape \(shape)", sourceLocation: sourceLocation)
        return
    }
    assertClose(actual, Tensor(shape: shape, values: expected), rtol: rtol, atol: atol, what, sourceLocation: sourceLocation)
}

/// The multi-index of flat index `i` in a row-major `shape`.
public func index(_ i: Int, in shape: [Int]) -> [Int] {
    var rest = i, out = [Int](repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
        out[d] = rest % shape[d]; rest /= shape[d]
    }
    return out
}
