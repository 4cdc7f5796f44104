// libFuzzer target: ONNX import, session planning and one forward pass on the model's own (small) input.
// Built and run by Scripts/fuzz onnx SECONDS; crashes found become fixtures under Tests/.
import Foundation
import NeuralNetwork
import ONNXImport

/// Models whose planned buffers would exceed this many floats are skipped: the memory cap for whole
/// sessions belongs to the importer (`--max-memory`); the fuzzer looks for crashes, not for big models.
private let maxPlannedFloats = 1 << 22

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let model = try? ONNXModel.load(data: bytes, source: "fuzz") else { return 0 }
    let graph = model.graph
    var planned = 0
    for value in graph.values {
        let (count, overflow) = value.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: max(d, 0)); return (p, acc.1 || o)
        }
        guard !overflow, value.shape.allSatisfy({ $0 >= 0 }) else { return 0 }
        planned += count
        guard planned <= maxPlannedFloats else { return 0 }
    }
    guard !graph.inputs.isEmpty else { return 0 }
    let session = Session(graph: graph)
    let input = session.input
    for i in 0..<input.count { input.data[i] = Float(i % 17) / 8 - 1 }
    session.forward()
    return 0
}
