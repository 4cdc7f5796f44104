import ArgumentParser
import Foundation
import Visualization

/// Options of the unit-image store, shared by `live`, `optimize` and `atlas`.
struct StoreOptions: ParsableArguments {
    @Option(help: "Unit-image store: finished optimizations on disk (default: $XDG_CACHE_HOME/deepvis, else ~/.cache/deepvis).")
    var cache: String?
    @Flag(help: "Don't read or write the unit-image store.") var noCache = false
    @Option(help: "Bound the store's size in MB; least recently used entries go first.") var cacheMaxMb: Int?

    func validate() throws {
        if let cacheMaxMb, cacheMaxMb < 1 { throw ValidationError("--cache-max-mb must be at least 1") }
        if noCache && cache != nil { throw ValidationError("--cache and --no-cache contradict each other") }
    }

    /// The store, or nil when disabled; an unusable directory is reported on stderr and the command runs without it.
    func open() -> UnitImageStore? {
        guard !noCache else { return nil }
        do {
            return try UnitImageStore(root: cache ?? UnitImageStore.defaultRoot(), maxMegabytes: cacheMaxMb)
        } catch {
            warn("\(error); running without the unit-image store")
            return nil
        }
    }

    /// The store and the model's sha256 (the key's first part), or nil when disabled or unusable.
    func open(model path: String) -> (store: UnitImageStore, modelSHA256: String)? {
        guard let store = open() else { return nil }
        do {
            return (store, try ModelDigest.sha256(ofFile: path))
        } catch {
            warn("\(error); running without the unit-image store")
            return nil
        }
    }
}
