import Foundation
import Imaging
import TestSupport

/// Reference images written once per test run by `Tests/Fixtures/pillow_imaging.py` (Pillow + scikit-image photos).
enum PillowReference {
    private static let made: Result<String, any Error> = Result {
        let dir = try ExternalTools.temporaryDirectory("pillow-ref")
        try ExternalTools.run(ExternalTools.python(), [ExternalTools.fixture("pillow_imaging.py"), dir])
        return dir
    }

    /// The directory holding the reference files.
    static func directory() throws -> String { try made.get() }

    /// A reference PNG decoded by our codec.
    static func image(_ name: String) throws -> RGBImage {
        try RGBImage(contentsOfFile: directory() + "/\(name)")
    }

    static let photos = ["chelsea", "astronaut", "coffee"]
}
