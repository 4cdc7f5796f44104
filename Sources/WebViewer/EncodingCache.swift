import Synchronization

/// Encodings shared by all browsers (an input frame's JPEG, a layer's 8-bit mosaic, a history image): each is made
/// once however many clients show it. Bounded in entries; the oldest entries go first.
final class EncodingCache<Value: Sendable>: Sendable {
    private struct Store {
        var values: [String: Value] = [:]
        var order: [String] = []
    }
    private let store = Mutex(Store())
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The value for `key`, made by `make` (outside the lock) if absent.
    func value(_ key: String, make: () throws -> Value) rethrows -> Value {
        if let hit = store.withLock({ $0.values[key] }) { return hit }
        let made = try make()
        store.withLock { s in
            if s.values.updateValue(made, forKey: key) == nil { s.order.append(key) }
            while s.order.count > capacity { s.values[s.order.removeFirst()] = nil }
        }
        return made
    }

    var count: Int { store.withLock { $0.values.count } }
}
