import ArgumentParser

@main
struct DeepVis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepvis",
        abstract: "See inside a convolutional network: live activations, backward images, gradient ascent.",
        subcommands: [Live.self, Serve.self, Devices.self, Classify.self, Inspect.self, Backprop.self, Optimize.self, Invert.self, Dream.self,
                      Adversarial.self, Atlas.self, Bench.self],
        defaultSubcommand: nil
    )
}
