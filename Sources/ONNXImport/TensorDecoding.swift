import Foundation
import NeuralNetwork
import Tensors

/// A decoded ONNX initializer or constant: floats for data, plus exact integers for shape-like inputs.
struct ConstantValue {
    let tensor: Tensor
    /// The exact values when the ONNX type is an integer type (Reshape shapes, Pad pads, …).
    let ints: [Int]?
}

extension Onnx_TensorProto {
    /// ONNX TensorProto.DataType codes that we read.
    enum Code: Int32 { case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9, double = 11 }

    /// Decodes to float32 (and exact ints for integer types); throws for types and layouts we don't read.
    func decoded(limit: Int = MemoryLimit.defaultBytes) throws -> ConstantValue {
        let shape = dims.map { Int($0) }
        // Dimensions are checked before anything is computed from them: a file may claim any size.
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ONNXImportError.unsupportedTensor(name: name, reason: "negative dimension in \(shape)")
        }
        guard let count = MemoryLimit.elementCount(shape), let bytes = MemoryLimit.floatBytes(shape) else {
            throw ONNXImportError.unsupportedTensor(name: name, reason: "the element count of shape \(shape) overflows")
        }
        guard bytes <= limit else {
            throw ONNXImportError.refused("tensor '\(name)'", .tooLarge(what: "shape \(shape)", bytes: bytes, limit: limit))
        }
        guard dataLocation != .external else {
            throw ONNXImportError.unsupportedTensor(name: name, reason: "external data files are not supported; save the model with weights inside")
        }
        guard let code = Code(rawValue: dataType) else {
            throw ONNXImportError.unsupportedTensor(name: name, reason: "element type \(dataType) is not supported (float32, int32/64, uint8/int8, bool, double are)")
        }
        var floats: [Float] = []
        var ints: [Int]? = nil
        let raw = rawData
        func fromRaw<T>(_: T.Type) throws -> [T] {
            guard raw.count / MemoryLayout<T>.size == count, raw.count % MemoryLayout<T>.size == 0 else {
                throw ONNXImportError.unsupportedTensor(name: name, reason: "\(raw.count) bytes of data for shape \(shape)")
            }
            // Copied, not rebound: the bytes inside a protobuf message need not be aligned for T.
            return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = raw.copyBytes(to: buffer) / MemoryLayout<T>.stride   // copyBytes counts bytes
            }
        }
        switch code {
        case .float:
            floats = hasRawData ? try fromRaw(Float.self) : floatData
        case .double:
            floats = (hasRawData ? try fromRaw(Double.self) : doubleData).map { Float($0) }
        case .int64:
            let v = hasRawData ? try fromRaw(Int64.self) : int64Data
            ints = v.map { Int($0) }
        case .int32:
            ints = (hasRawData ? try fromRaw(Int32.self) : int32Data).map { Int($0) }
        case .uint8, .bool:
            ints = (hasRawData ? try fromRaw(UInt8.self).map { Int($0) } : int32Data.map { Int($0) })
        case .int8:
            ints = (hasRawData ? try fromRaw(Int8.self).map { Int($0) } : int32Data.map { Int($0) })
        }
        if let ints { floats = ints.map { Float($0) } }
        guard floats.count == count else {
            throw ONNXImportError.unsupportedTensor(name: name, reason: "\(floats.count) values for shape \(shape)")
        }
        return ConstantValue(tensor: Tensor(shape: shape, values: floats), ints: ints)
    }
}

/// Reads one serialized TensorProto (as in ONNX's backend test data sets) into a named float tensor.
public func decodeONNXTensor(_ data: Data) throws -> (name: String, tensor: Tensor) {
    let proto: Onnx_TensorProto
    do { proto = try Onnx_TensorProto(serializedBytes: data) } catch {
        throw ONNXImportError.notONNX("tensor", reason: "\(error)")
    }
    return (proto.name, try proto.decoded().tensor)
}
