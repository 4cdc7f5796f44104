import NeuralNetwork
import Tensors
import Testing
import TestSupport

/// `Graph.gatherConstants`: the constants nodes read move into one buffer, unchanged, and the graph computes the same.
@Suite struct GatherConstantsTests {
    @Test func constantsMoveIntoOneBufferAndResultsStayTheSame() throws {
        var rng = SplitMix64(seed: 5)
        var g = Graph()
        let x = g.addInput("x", shape: [1, 3, 9, 9])
        let w1 = Tensor.random([5, 3, 3, 3], using: &rng), b1 = Tensor.random([5], using: &rng)
        let w2 = Tensor.random([7, 5, 1, 1], using: &rng), kept = Tensor.random([7], using: &rng)
        let unread = g.addConstant("unread", Tensor.random([4], using: &rng))
        let c1 = try g.addNode("c1", Conv(kernel: [3, 3], pads: [1, 1, 1, 1]),
                               inputs: [x, g.addConstant("w1", w1), g.addConstant("b1", b1)], output: "c1")
        let c2 = try g.addNode("c2", Conv(kernel: [1, 1]), inputs: [c1, g.addConstant("w2", w2), g.addConstant("kept", kept)],
                               output: "c2")
        g.outputs = [c2]
        let input = Tensor.random([1, 3, 9, 9], using: &rng)
        let before = Session(graph: g)
        before.run(input)
        let expected = before.values[c2].array

        g.gatherConstants(keeping: [ObjectIdentifier(kept)])
        let gathered = ["w1", "b1", "w2"].map { g.values[try! g.id(of: $0)].constant! }
        let owner = gathered[0].storage
        #expect(owner != nil)
        for (t, original) in zip(gathered, [w1, b1, w2]) {
            #expect(t.storage === owner)
            #expect(t !== original && t.array == original.array && t.shape == original.shape)
            #expect(Int(bitPattern: t.data) % 64 == 0)
        }
        #expect(g.values[try g.id(of: "kept")].constant === kept)
        #expect(g.values[unread].constant?.storage == nil)
        let after = Session(graph: g)
        after.run(input)
        #expect(after.values[c2].array == expected)
    }
}
