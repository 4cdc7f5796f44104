import Foundation
import Imaging
import LivePipeline
import ViewerCore

/// Builds each browser's next message from the newest pipeline state: only what changed since that browser's
/// last message, with every encoding shared through caches (one JPEG per frame, whatever the number of clients).
final class FrameComposer: Sendable {
    let pipeline: LivePipeline
    let layers: [LayerInfo]
    let ascent: AscentBoard?
    private let jpegs = EncodingCache<[UInt8]>(capacity: 512)
    private let tiles = EncodingCache<LayerTiles>(capacity: 16)
    /// History images sent per message at most (the rest follow in the next ones), bounding message size.
    static let historyPerMessage = 4
    static let jpegQuality = 85

    init(pipeline: LivePipeline, layers: [LayerInfo], ascent: AscentBoard?) {
        self.pipeline = pipeline
        self.layers = layers
        self.ascent = ascent
    }

    /// The message for `session` now, or nil if it has nothing new.
    func compose(for session: WebSession, clients: Int) -> [UInt8]? {
        var s = session.state.withLock { $0 }
        var message = FrameMessage()
        var news = false
        if !s.errors.isEmpty {
            message.header["errors"] = s.errors
            news = true
        }
        let view = s.view
        let stateKey = "\(view)"
        if stateKey != s.sent.stateKey {
            message.header["state"] = stateJSON(view)
            s.sent.stateKey = stateKey
            news = true
        }
        if let snapshot = currentSnapshot(&s), addFrame(snapshot, view, &s, &message) { news = true }
        if addBackward(view, &s, &message) { news = true }
        if addAscent(view, &s, &message) { news = true }
        let now = uptimeNanoseconds()
        if news || now - s.sent.statusTime > 500_000_000 {
            message.header["status"] = statusJSON(clients: clients, skipped: s.skippedFrames)
            s.sent.statusTime = now
            news = true
        }
        guard news else { return nil }
        let bytes = message.encoded()
        session.state.withLock { live in
            live.sent = s.sent
            live.held = s.held
            live.skippedFrames = s.skippedFrames
            live.errors.removeFirst(min(s.errors.count, live.errors.count))
            live.framesSent += 1
            live.bytesSent += bytes.count
        }
        return bytes
    }

    /// The snapshot this browser should see: the newest, or the held one while frozen/paused (refreshed only when
    /// it lacks the browser's layer).
    private func currentSnapshot(_ s: inout WebSession.Mutable) -> LayerSnapshot? {
        guard let newest = pipeline.latestSnapshot else { return s.held }
        let holding = s.view.frozen || s.view.paused
        if holding, let held = s.held, held.activations(ofLayer: s.view.layerIndex) != nil { return held }
        if newest.activations(ofLayer: s.view.layerIndex) == nil, let held = s.held,
           held.activations(ofLayer: s.view.layerIndex) != nil { return held }
        s.held = newest
        return newest
    }

    private func addFrame(_ snapshot: LayerSnapshot, _ view: ViewerState, _ s: inout WebSession.Mutable,
                          _ message: inout FrameMessage) -> Bool {
        var news = false
        if snapshot.sequence > s.sent.snapshotSequence {
            if s.sent.snapshotSequence > 0 { s.skippedFrames += max(snapshot.sequence - s.sent.snapshotSequence - 1, 0) }
            s.sent.snapshotSequence = snapshot.sequence
        }
        if s.sent.inputSequence != snapshot.sequence {
            let jpeg = jpegs.value("input:\(snapshot.sequence)") {
                (try? JPEGEncoder.encode(snapshot.input, quality: Self.jpegQuality)) ?? []
            }
            var input: [String: Any] = message.attach(jpeg)
            input["w"] = snapshot.input.width
            input["h"] = snapshot.input.height
            message.header["input"] = input
            message.header["top"] = snapshot.top.map { ["label": $0.label, "p": Double($0.probability), "index": $0.index] }
            message.header["frame"] = ["sequence": snapshot.sequence, "sourceFrame": snapshot.sourceFrameIndex]
            s.sent.inputSequence = snapshot.sequence
            news = true
        }
        let layerIndex = view.layerIndex
        let key = "\(snapshot.sequence):\(layerIndex):\(view.perChannelNormalization)"
        if key != s.sent.layerKey, let values = snapshot.activations(ofLayer: layerIndex), layers.indices.contains(layerIndex) {
            let layer = layers[layerIndex]
            let t = tiles.value(key) { LayerTiles(layer: layer, values: values, perChannel: view.perChannelNormalization) }
            var json: [String: Any] = message.attach(t.gray)
            json["index"] = layerIndex
            json["columns"] = t.columns
            json["rows"] = t.rows
            json["mapWidth"] = t.mapWidth
            json["mapHeight"] = t.mapHeight
            json["stride"] = t.stride
            json["max"] = t.channelMax.map { Double($0) }
            json["sequence"] = snapshot.sequence
            message.header["layer"] = json
            s.sent.layerKey = key
            news = true
        }
        return news
    }

    private func addBackward(_ view: ViewerState, _ s: inout WebSession.Mutable, _ message: inout FrameMessage) -> Bool {
        let selection = UnitSelection(layerIndex: view.layerIndex, channel: view.selectedUnit,
                                      mode: .init(rawValue: view.backwardMode.rawValue) ?? .gradient)
        guard !view.paused, let probe = pipeline.latestProbe(for: selection) ?? pipeline.latestProbe,
              probe.selection == selection, probe.width > 0 else { return false }
        let key = "bw:\(probe.snapshotSequence):\(selection.layerIndex):\(selection.channel):\(selection.mode):\(view.rendering)"
        guard key != s.sent.backwardKey else { return false }
        let jpeg = jpegs.value(key) {
            (try? JPEGEncoder.encode(view.rendering.render(probe.values, width: probe.width, height: probe.height),
                                     quality: Self.jpegQuality)) ?? []
        }
        var json: [String: Any] = message.attach(jpeg)
        json["mode"] = selection.mode.rawValue
        json["rendering"] = view.rendering.rawValue
        json["layer"] = selection.layerIndex
        json["unit"] = selection.channel
        message.header["backward"] = json
        s.sent.backwardKey = key
        return true
    }

    private func addAscent(_ view: ViewerState, _ s: inout WebSession.Mutable, _ message: inout FrameMessage) -> Bool {
        guard let ascent else { return false }
        let unit = UnitKey(layerIndex: view.layerIndex, channel: view.selectedUnit)
        guard let progress = ascent.progress(for: unit) else { return false }
        var json: [String: Any] = ["layer": unit.layerIndex, "unit": unit.channel, "running": progress.running,
                                   "preset": progress.preset, "count": progress.history.count]
        if s.sent.ascentUnit != unit || progress.history.count < s.sent.ascentHistory {
            s.sent.ascentUnit = unit
            s.sent.ascentHistory = 0
            s.sent.ascentCurrentKey = ""
            json["reset"] = true
        }
        var news = json["reset"] != nil
        let tag = "\(unit.layerIndex):\(unit.channel)"
        var entries: [[String: Any]] = []
        let first = s.sent.ascentHistory
        for i in first..<min(progress.history.count, first + Self.historyPerMessage) {
            let step = progress.history[i]
            let jpeg = jpegs.value("hist:\(tag):\(step.step):\(step.objective)") {
                (try? JPEGEncoder.encode(step.image, quality: Self.jpegQuality)) ?? []
            }
            var entry: [String: Any] = message.attach(jpeg)
            entry["i"] = i
            entry["step"] = step.step
            entry["objective"] = Double(step.objective)
            entries.append(entry)
        }
        if !entries.isEmpty {
            json["history"] = entries
            s.sent.ascentHistory = first + entries.count
            news = true
        }
        let currentKey = "\(progress.running):\(progress.history.last?.step ?? -1):\(progress.current?.pixels.count ?? 0)"
        if currentKey != s.sent.ascentCurrentKey, let current = progress.current {
            let jpeg = jpegs.value("cur:\(tag):\(currentKey)") {
                (try? JPEGEncoder.encode(current, quality: Self.jpegQuality)) ?? []
            }
            json["current"] = message.attach(jpeg)
            s.sent.ascentCurrentKey = currentKey
            news = true
        }
        guard news else { return false }
        message.header["ascent"] = json
        return true
    }

    private func stateJSON(_ view: ViewerState) -> [String: Any] {
        [
            "layer": view.layerIndex, "unit": view.selectedUnit, "mode": view.backwardMode.rawValue,
            "rendering": view.rendering.rawValue, "perChannel": view.perChannelNormalization, "frozen": view.frozen,
            "paused": view.paused, "help": view.showHelp, "history": view.historyPosition.map { $0 as Any } ?? NSNull(),
        ]
    }

    private func statusJSON(clients: Int, skipped: Int) -> [String: Any] {
        let statistics = pipeline.statistics
        let source = pipeline.sourceStatus
        return [
            "source": source.source, "message": source.message, "captureFPS": statistics.captureFPS,
            "forwardFPS": statistics.forwardFPS, "probeFPS": statistics.probeFPS, "dropped": statistics.droppedFrames,
            "forwardMs": statistics.forwardMilliseconds, "latencyMs": statistics.publishLatencyP50, "clients": clients,
            "skipped": skipped, "ascentRunning": ascent?.running.map { [$0.layerIndex, $0.channel] } ?? [],
        ]
    }
}
