import NeuralNetwork
import Tensors
import Testing

/// The engine refuses impossible shapes and attributes with errors, never traps or wraps.
@Suite struct ValidationTests {
    @Test func windowRejectsEachBadAttribute() {
        let bad: [(String, () throws -> Window2D)] = [
            ("kernel_shape", { try Window2D(kernel: [3]) }),
            ("kernel_shape", { try Window2D(kernel: [0, 3]) }),
            ("strides", { try Window2D(kernel: [3, 3], strides: [0, 1]) }),
            ("strides", { try Window2D(kernel: [3, 3], strides: [1]) }),
            ("dilations", { try Window2D(kernel: [3, 3], dilations: [1, -1]) }),
            ("pads", { try Window2D(kernel: [3, 3], pads: [-1, 0, 0, 0]) }),
            ("pads", { try Window2D(kernel: [3, 3], pads: [1 << 40, 0, 0, 0]) }),
        ]
        for (attribute, make) in bad {
            #expect {
                _ = try make()
            } throws: { e in
                guard case let .invalidAttribute(_, a, _, _) = e as? NetworkError else { return false }
                return a == attribute
            }
        }
    }

    @Test func windowResolvesSamePaddingPerInputSize() throws {
        let w = try Window2D(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper)
        #expect(w.resolve(inH: 7, inW: 8).pads == [1, 0, 1, 1])   // out 4×4: total pad 2 rows, 1 column
        #expect(w.resolve(inH: 7, inW: 8).outH == 4 && w.resolve(inH: 7, inW: 8).outW == 4)
        let c = Conv(window: w)
        #expect(try c.outputShape([[1, 2, 7, 8], [5, 2, 3, 3]]) == [1, 5, 4, 4])
        #expect(try c.outputShape([[1, 2, 15, 15], [5, 2, 3, 3]]) == [1, 5, 8, 8])
    }

    @Test func convRefusesAKernelLargerThanTheInputAtAnyStride() {
        let c = Conv(kernel: [9, 9], strides: [2, 2])
        #expect(throws: NetworkError.self) { try c.outputShape([[1, 3, 8, 8], [4, 3, 9, 9]]) }
    }

    @Test func convRefusesGroupsThatDoNotDivide() {
        #expect(throws: NetworkError.self) { try Conv(kernel: [3, 3], group: 2).outputShape([[1, 3, 8, 8], [4, 1, 3, 3]]) }
        #expect(throws: NetworkError.self) { try Conv(kernel: [3, 3]).outputShape([[1, 3, 8, 8], [0, 3, 3, 3]]) }
    }

    @Test func reshapeRefusesWrappingProducts() {
        #expect(throws: NetworkError.self) { try Reshape(shape: [1 << 62, 1 << 62, 4]).outputShape([[1, 16]]) }
        #expect(throws: NetworkError.self) { try Reshape(shape: [-1, -1]).outputShape([[1, 16]]) }
    }

    @Test func broadcastOfOneAgainstZeroIsZero() {
        #expect(Broadcast([1, 0, 1], [1, 1, 5])?.output == [1, 0, 5])
    }

    @Test func graphRefusesEmptyAndOversizedValues() throws {
        var g = Graph()
        g.memoryLimit = 1 << 20
        let x = g.addInput("x", shape: [1, 3, 64, 64])
        let w = g.addConstant("w", Tensor(shape: [128, 3, 1, 1]))
        // 128×64×64 floats = 2 MiB: over the 1 MiB limit.
        #expect {
            try g.addNode("c", Conv(kernel: [1, 1]), inputs: [x, w], output: "c")
        } throws: { e in
            guard case .tooLarge = e as? NetworkError else { return false }
            return "\(e)".contains("2.0 MiB") && "\(e)".contains("1.0 MiB")
        }
        let z = g.addConstant("z", Tensor(shape: [1, 0, 1, 1]))
        #expect(throws: NetworkError.self) { try g.addNode("add", Add(), inputs: [x, z], output: "add") }
    }

    @Test func memorySizesParse() {
        #expect(MemoryLimit.parse("512M") == 512 << 20)
        #expect(MemoryLimit.parse("1.5G") == 3 << 29)
        #expect(MemoryLimit.parse("100000") == 100000)
        #expect(MemoryLimit.parse("-1G") == nil && MemoryLimit.parse("lots") == nil && MemoryLimit.parse("1e30") == nil)
    }
}
