import Foundation
import LivePipeline
import NeuralNetwork
import Synchronization
import Testing
import TestSupport
import ViewerCore
import WebViewer

/// `deepvis serve`'s server over a real loopback socket, driven by real HTTP and WebSocket clients.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ServerTests {
    @Test func servesThePageAndNothingElse() async throws {
        try await ServerHarness.with { _, port in
            let page = try await httpGet(port: port, "/")
            #expect(page.status == 200)
            #expect(page.body.contains("<script src=\"app.js\">"))
            #expect(page.headers["set-cookie"] == nil)  // no token on loopback
            #expect(try await httpGet(port: port, "/app.js").status == 200)
            #expect(try await httpGet(port: port, "/style.css").headers["content-type"]?.hasPrefix("text/css") == true)
            for path in ["/../Package.swift", "/Page/index.html", "/%2e%2e/Package.swift", "/etc/passwd", "/index.html",
                         "/app.js/../../Package.swift", "//etc/passwd"] {
                let reply = try await httpGet(port: port, path)
                #expect(reply.status == 404, "\(path)")
                #expect(!reply.body.contains("swift-tools-version") && !reply.body.contains("root:"))
            }
        }
    }

    @Test func tokenIsRequiredOnEveryRequestWhenSet() async throws {
        let token = AccessPolicy.randomToken()
        #expect(token.count == 32 && token != AccessPolicy.randomToken())
        try await ServerHarness.with(access: AccessPolicy(token: token)) { _, port in
            #expect(try await httpGet(port: port, "/").status == 401)
            // One character off (a token ending in "0" would have made "…0" the token itself, 1 run in 16).
            let wrong = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
            #expect(try await httpGet(port: port, "/?token=\(wrong)").status == 401)
            #expect(try await httpGet(port: port, "/app.js").status == 401)
            #expect(try await httpGet(port: port, "/nope").status == 401)  // unknown paths too: nothing is told without the token
            let page = try await httpGet(port: port, "/?token=\(token)")
            #expect(page.status == 200)
            let cookie = try #require(page.headers["set-cookie"])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let pair = String(cookie.split(separator: ";")[0])
            #expect(try await httpGet(port: port, "/app.js", headers: ["Cookie": pair]).status == 200)
            #expect(try await httpGet(port: port, "/app.js", headers: ["Cookie": "deepvis_token=nope"]).status == 401)
            #expect(await handshakeSucceeds(port: port) == false)
            #expect(await handshakeSucceeds(port: port, path: "/ws?token=wrong") == false)
            #expect(await handshakeSucceeds(port: port, path: "/ws?token=\(token)"))
            #expect(await handshakeSucceeds(port: port, headers: ["Cookie": "deepvis_token=\(token)"]))
        }
    }

    @Test func webSocketOriginMustBeThisServer() async throws {
        try await ServerHarness.with { _, port in
            #expect(await handshakeSucceeds(port: port, headers: ["Origin": "http://evil.example"]) == false)
            #expect(await handshakeSucceeds(port: port, headers: ["Origin": "http://127.0.0.1:\(port + 1)"]) == false)
            #expect(await handshakeSucceeds(port: port, headers: ["Origin": "null"]) == false)
            #expect(await handshakeSucceeds(port: port, headers: ["Origin": "http://127.0.0.1:\(port)"]))
        }
    }

    @Test func loopbackHostsNeedNoToken() {
        #expect(AccessPolicy.forHost("127.0.0.1").token == nil)
        #expect(AccessPolicy.forHost("localhost").token == nil)
        #expect(AccessPolicy.forHost("::1").token == nil)
        #expect(AccessPolicy.forHost("0.0.0.0").token != nil)
        #expect(AccessPolicy.forHost("192.168.1.5").token != nil)
        #expect(AccessPolicy.constantTimeEqual("abc", "abc") && !AccessPolicy.constantTimeEqual("abc", "abd"))
        #expect(!AccessPolicy.constantTimeEqual("abc", "abcd"))
    }

    /// Frames carry the layer's 8-bit maps of the frame they name (checked against a direct forward pass), and a
    /// selection changes this browser's state, the pipeline's probe and the backward image it receives.
    @Test func framesShowTheLayerAndSelectionFollowsTheBrowser() async throws {
        try await ServerHarness.with { harness, port in
            try await withClient(port: port) { received, send in
                #expect(await received.wait { $0.hello != nil && $0.frames.contains { $0.header["layer"] != nil } })
                let layers = try #require(received.hello?["layers"] as? [[String: Any]])
                #expect(layers.map { $0["name"] as? String } == ["conv", "conv2", "logits"])
                let frame = try #require(received.frames.last { $0.header["layer"] != nil && $0.header["frame"] != nil })
                let meta = try #require(frame.header["layer"] as? [String: Any])
                let sourceFrame = try #require((frame.header["frame"] as? [String: Any])?["sourceFrame"] as? Int)
                let layer = harness.layers[1]
                let session = Session(graph: harness.model.graph)
                harness.model.info.fill(session.input, from: harness.model.info.networkView(of: FakeCamera.image(sourceFrame)))
                session.forward()
                let expected = ActivationMosaic(layer: LayerInfo(name: layer.name, channels: layer.channels, height: layer.height,
                                                                 width: layer.width),
                                                values: session.values[layer.valueID].array, perChannel: false)
                #expect(frame.part("layer") == expected.gray)
                #expect(meta["columns"] as? Int == expected.atlasColumns && meta["index"] as? Int == 1)

                try await send(#"{"type":"select","layer":"conv","unit":5}"#)
                #expect(await received.wait { ($0.lastState?["layer"] as? Int) == 0 && ($0.lastState?["unit"] as? Int) == 5 })
                #expect(harness.pipeline.controls.selection == UnitSelection(layerIndex: 0, channel: 5))
                #expect(await received.wait { r in
                    r.frames.contains { f in
                        let b = f.header["backward"] as? [String: Any]
                        return b?["layer"] as? Int == 0 && b?["unit"] as? Int == 5
                    }
                })
                try await send(#"{"type":"key","key":"b"}"#)
                #expect(await received.wait { ($0.lastState?["mode"] as? String) == "deconvnet" })
                try await send(#"{"type":"key","key":"up"}"#)  // the window's keys: 5 is in row 1 of a 3-column grid
                #expect(await received.wait { ($0.lastState?["unit"] as? Int) == 2 })
                #expect(await received.wait { _ in harness.pipeline.controls.selection == UnitSelection(layerIndex: 0, channel: 2, mode: .deconvnet) })
                #expect(received.errors.isEmpty)
            }
        }
    }

    @Test func badMessagesAnswerOnlyTheirSender() async throws {
        try await ServerHarness.with { harness, port in
            try await withClient(port: port) { bystander, _ in
                #expect(await bystander.wait { $0.frames.count >= 2 })
                try await withClient(port: port) { received, send in
                    #expect(await received.wait { $0.frames.count >= 1 })
                    let bad = [
                        "not json", "[1,2]", #"{"type":"select","unit":99}"#, #"{"type":"select","unit":-1}"#,
                        #"{"type":"select","unit":2.5}"#, #"{"type":"layer","layer":"../../etc/passwd"}"#,
                        #"{"type":"key","key":"q"}"#, #"{"type":"key","key":"F13"}"#, #"{"type":"nonsense"}"#,
                        #"{"type":"history","position":-3}"#, #"{"type":"select","unit":true}"#,
                    ]
                    for text in bad { try await send(text) }
                    #expect(await received.wait { $0.errors.count >= 8 })
                    #expect(received.errors.contains { $0.contains("unknown unit 99") })
                    #expect(received.errors.contains { $0.contains("unknown layer") })
                    #expect(received.lastState?["layer"] as? Int == 1 && received.lastState?["unit"] as? Int == 0)
                    #expect(harness.pipeline.controls.selection == UnitSelection(layerIndex: 1, channel: 0))
                    // Still served after all that.
                    let before = received.frames.count
                    #expect(await received.wait { $0.frames.count > before + 2 })
                }
                #expect(bystander.errors.isEmpty)
            }
        }
    }

    /// A browser that stops reading gets no queue: its messages wait behind one in-flight write while the other
    /// browser keeps its frame rate, and the server's memory does not grow with the frames it skips.
    @Test func aStalledClientSkipsFramesWithoutGrowingMemory() async throws {
        try await ServerHarness.with(model: try wideModel(), cameraInterval: 0.01, initialLayer: 0) { harness, port in
            let stalled = try await offPool { try WireWebSocket(port: port, receiveBuffer: 4096, reading: false) }
            try await Task.sleep(for: .seconds(2))
            let rssBefore = residentMegabytes()
            try await withClient(port: port) { fast, _ in
                #expect(await fast.wait(30) { $0.frames.filter { $0.header["layer"] != nil }.count >= 40 })
                // The kernel's socket buffers take the first few MB (tcp_wmem's 4 MiB: about 40 of these messages)
                // before the stalled client's writes block; only from then on are its frames skipped.
                #expect(await Received().wait(90) { _ in harness.server.clientStatistics.values.contains { $0.skippedFrames > 20 } })
            }
            let rssAfter = residentMegabytes()
            #expect(await Received().wait(10) { _ in harness.server.clientCount == 1 })  // the fast one has left
            let perClient = harness.server.clientStatistics
            let slow = try #require(perClient.values.first)
            let forwarded = harness.pipeline.statistics.forwardPasses
            #expect(perClient.count == 1)
            #expect(slow.skippedFrames > 20, "stalled client: \(slow), forward passes \(forwarded)")
            // A queue would hold every skipped frame (≥ 20 × 100 KiB here); allow noise well below that.
            #expect(rssAfter - rssBefore < 64, "RSS \(rssBefore) → \(rssAfter) MB")
            #expect(harness.server.statistics.largestMessage < 512 * 1024)
            withExtendedLifetime(stalled) {}
        }
    }

    @Test func sixteenClientsAtOnceAndNoMore() async throws {
        try await ServerHarness.with(maxClients: 16) { harness, port in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let count = Mutex(0)
                        try await withClient(port: port) { received, _ in
                            _ = await received.wait(40) { $0.frames.filter { $0.header["layer"] != nil }.count >= 10 }
                            count.withLock { $0 = received.frames.filter { $0.header["layer"] != nil }.count }
                            // Hold the connection until all sixteen are in, then the 17th must be refused.
                            _ = await received.wait(40) { _ in harness.server.clientCount >= 16 }
                            if count.withLock({ $0 }) >= 10, harness.server.clientCount >= 16 {
                                let refused = await handshakeSucceeds(port: port) == false
                                count.withLock { $0 = refused ? $0 : -1 }
                            }
                            try await Task.sleep(for: .milliseconds(500))
                        }
                        return count.withLock { $0 }
                    }
                }
                var counts: [Int] = []
                for try await c in group { counts.append(c) }
                #expect(counts.count == 16)
                #expect(counts.allSatisfy { $0 >= 10 }, "layer frames per client: \(counts)")
            }
            // Everything a browser held is let go: its session, its layer and unit in the pipeline's controls.
            #expect(await Received().wait(10) { _ in harness.server.clientCount == 0 })
            #expect(harness.pipeline.controls.watchedLayers.isEmpty && harness.pipeline.controls.extraProbes.isEmpty)
        }
    }

    /// Two browsers on the same unit share one optimization run; its images arrive as they are made.
    @Test func ascentOfAUnitIsComputedOnceForAllBrowsers() async throws {
        try await ServerHarness.with(ascentIterations: 30) { harness, port in
            try await withClient(port: port) { first, sendFirst in
                try await sendFirst(#"{"type":"select","unit":3}"#)
                try await withClient(port: port) { second, sendSecond in
                    try await sendSecond(#"{"type":"select","unit":3}"#)
                    func history(_ r: Received) -> [(step: Int, jpeg: [UInt8])] {
                        r.frames.flatMap { frame -> [(step: Int, jpeg: [UInt8])] in
                            guard let a = frame.header["ascent"] as? [String: Any], a["unit"] as? Int == 3,
                                  let entries = a["history"] as? [[String: Any]] else { return [] }
                            return entries.map { e in
                                let off = e["off"] as! Int, len = e["len"] as! Int
                                return (e["step"] as! Int, Array(frame.payload[off..<(off + len)]))
                            }
                        }
                    }
                    for r in [first, second] {
                        // Finished, and every history image delivered (a few per message).
                        #expect(await r.wait(90) { r in
                            r.frames.contains {
                                let a = $0.header["ascent"] as? [String: Any]
                                return a?["phase"] as? String == "finished" && a?["unit"] as? Int == 3
                            } && history(r).count >= 20
                        })
                    }
                    let a = history(first), b = history(second)
                    // One run: the first browser's steps only ever increase (a restart would begin again at 0).
                    #expect(a.count >= 10 && zip(a, a.dropFirst()).allSatisfy { $0.step < $1.step }, "\(a.map(\.step))")
                    // Shared: the second browser got the same images of the same steps.
                    let byStep = Dictionary(a.map { ($0.step, $0.jpeg) }, uniquingKeysWith: { x, _ in x })
                    // (Each browser may be a message ahead of the other: compare the steps both have.)
                    let common = b.filter { byStep[$0.step] != nil }
                    #expect(common.count >= 10 && common.allSatisfy { byStep[$0.step] == $0.jpeg },
                            "differ at steps \(common.filter { byStep[$0.step] != $0.jpeg }.map(\.step)); first \(a.map(\.step)), second \(b.map(\.step))")
                    #expect(harness.pipeline.latestAscent?.selection.channel == 3)
                    // The slider: position 2 of the history is a state change of this browser only.
                    try await sendSecond(#"{"type":"history","position":2}"#)
                    #expect(await second.wait { $0.lastState?["history"] as? Int == 2 })
                    #expect(first.lastState?["history"] is NSNull)
                }
            }
        }
    }
}
