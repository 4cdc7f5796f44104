import ArgumentParser

@main
struct DeepVis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepvis",
        abstract: "See inside a convolutional network: live activations, backward images, gradient ascent.",
<<<<<<< HEAD
        subcommands: [Classify.self, Inspect.self, Backprop.self, Bench.self, Optimize.self, Invert.self, Dream.self, Adversarial.self, Atlas.self],
=======
        subcommands: [Live.self, Devices.self, Classify.self, Inspect.self, Backprop.self, Optimize.self, Invert.self, Dream.self,
                      Adversarial.self, Bench.self],
>>>>>>> main
        defaultSubcommand: nil
    )
}
