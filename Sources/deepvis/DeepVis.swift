import ArgumentParser

@main
struct DeepVis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepvis",
        abstract: "See inside a convolutional network: live activations, backward images, gradient ascent.",
        subcommands: [Classify.self, Inspect.self, Backprop.self, Bench.self, Optimize.self, Invert.self, Dream.self, Adversarial.self, Atlas.self],
        defaultSubcommand: nil
    )
}
