import Foundation
import Imaging
import LivePipeline
import ViewerCore

/// Builds each browser's next message from the newest pipeline state: only what changed since that browser's
/// last message, with every encoding shared through caches (one JPEG per frame, whatever the number of clients).
final class FrameComposer: Sendable {
    let pipeline: LivePipeline
    let layers: [LayerInfo]
    private let jpegs = EncodingCache<[UInt8]>(capacity: 512)
    private let tiles = EncodingCache<LayerTiles>(capacity: 16)
    /// History images sent per message at most (the rest follow in the next ones), bounding message size.
    static let historyPerMessage = 4
    static let jpegQuality = 85

    init(pipeline: LivePipeline, layers: [LayerInfo]) {
        self.pipeline = pipeline
        self.layers = layers
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
        let selection = UnitSelection(layerIndex: view.layerIndex, channel: view.selectedUnit, mode: view.backwardMode)
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

    /// The gradient ascent of this browser's unit, from the pipeline's ascent worker (one run at a time, on the unit of
    /// the browser that acted last; every browser on that unit reads the same run). Sends only what is new: history
    /// images (a few per message), objective values, the current image, and the run's figures when they change.
    private func addAscent(_ view: ViewerState, _ s: inout WebSession.Mutable, _ message: inout FrameMessage) -> Bool {
        let unit = UnitKey(layerIndex: view.layerIndex, channel: view.selectedUnit)
        let mine = UnitSelection(layerIndex: unit.layerIndex, channel: unit.channel, mode: view.backwardMode)
        guard let settings = pipeline.controls.ascent else { return false }
        guard let a = pipeline.latestAscent, a.selection.sameUnit(as: mine), a.settings == settings else {
            // Another browser's unit is being optimized (or nothing yet): say so once.
            let busy = pipeline.latestAscent.map { [$0.selection.layerIndex, $0.selection.channel] } ?? []
            let key = "waiting:\(unit):\(busy)"
            guard key != s.sent.ascentInfoKey else { return false }
            s.sent.ascentInfoKey = key
            s.sent.ascentUnit = nil
            message.header["ascent"] = ["layer": unit.layerIndex, "unit": unit.channel, "waiting": true, "busyWith": busy,
                                        "reset": true, "count": 0] as [String: Any]
            return true
        }
        var json: [String: Any] = ["layer": unit.layerIndex, "unit": unit.channel, "count": a.history.count]
        if s.sent.ascentUnit != unit || a.history.count < s.sent.ascentHistory || a.curve.count < s.sent.ascentCurve {
            s.sent.ascentUnit = unit
            s.sent.ascentHistory = 0
            s.sent.ascentCurve = 0
            s.sent.ascentCurrentKey = ""
            s.sent.ascentInfoKey = ""
            json["reset"] = true
        }
        var news = json["reset"] != nil
        let infoKey = "\(a.phase):\(a.step):\(a.error ?? "")"
        if infoKey != s.sent.ascentInfoKey {
            json["running"] = a.phase == .running
            json["phase"] = a.phase.rawValue
            json["preset"] = a.settings.preset.name
            json["step"] = a.step
            json["iterations"] = a.settings.iterations
            json["target"] = a.selection.objective.rawValue
            json["secondsRemaining"] = a.secondsRemaining ?? NSNull()
            json["error"] = a.error ?? NSNull()
            s.sent.ascentInfoKey = infoKey
            news = true
        }
        if a.curve.count > s.sent.ascentCurve {
            let end = min(a.curve.count, s.sent.ascentCurve + 500)
            json["curveFrom"] = s.sent.ascentCurve
            json["curve"] = a.curve[s.sent.ascentCurve..<end].map { Double($0) }
            s.sent.ascentCurve = end
            news = true
        }
        let tag = "\(unit.layerIndex):\(unit.channel):\(a.settings.seed):\(a.settings.preset.name):\(a.settings.iterations)"
        var entries: [[String: Any]] = []
        let first = s.sent.ascentHistory
        for i in first..<min(a.history.count, first + Self.historyPerMessage) {
            let entry = a.history[i]
            let jpeg = jpegs.value("hist:\(tag):\(entry.step)") {
                (try? JPEGEncoder.encode(entry.image, quality: Self.jpegQuality)) ?? []
            }
            var json: [String: Any] = message.attach(jpeg)
            json["i"] = i
            json["step"] = entry.step
            json["objective"] = Double(entry.objective)
            entries.append(json)
        }
        if !entries.isEmpty {
            json["history"] = entries
            s.sent.ascentHistory = first + entries.count
            news = true
        }
        let currentKey = "\(a.phase):\(a.history.count)"
        if currentKey != s.sent.ascentCurrentKey, let image = a.image {
            let jpeg = jpegs.value("cur:\(tag):\(currentKey)") {
                (try? JPEGEncoder.encode(image, quality: Self.jpegQuality)) ?? []
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
            "skipped": skipped,
        ]
    }
}
