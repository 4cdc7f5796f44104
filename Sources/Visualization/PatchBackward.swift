import NeuralNetwork

extension BackwardMode {
    /// The backward mode for images of top patches on `graph`, and why: deconvnet where the graph max-pools (its
    /// switches are what make a deconvnet image depend on the input), else guided backprop — without max-pooling a
    /// deconvnet image is the same picture for every input (Docs/ATLAS.md).
    public static func patchDefault(for graph: Graph) -> (mode: BackwardMode, reason: String) {
        if graph.nodes.contains(where: { $0.op is MaxPool }) { return (.deconvnet, "deconvnet (the network max-pools)") }
        return (.guided, "guided backprop: no max-pooling here, so deconvnet images would not depend on the patch")
    }
}
