import Testing
import ViewerCore

struct KeyTableTests {
    let table = KeyTable.standard

    @Test func toolboxKeysMapToTheirCommands() {
        #expect(table.command(forKey: "o") == .nextLayer)
        #expect(table.command(forKey: "u") == .previousLayer)
        #expect(table.command(forKey: "b") == .cycleBackwardMode)
        #expect(table.command(forKey: "n") == .cycleRendering)
        #expect(table.command(forKey: "e") == .togglePerChannelNormalization)
        #expect(table.command(forKey: "f") == .toggleFreeze)
        #expect(table.command(forKey: "c") == .cycleSource)
        #expect(table.command(forKey: "space") == .togglePause)
        #expect(table.command(forKey: "p") == .togglePause)
        #expect(table.command(forKey: "s") == .screenshot)
        #expect(table.command(forKey: "h") == .toggleHelp)
        #expect(table.command(forKey: "q") == .quit)
        #expect(table.command(forKey: "Escape") == .quit)
        #expect(table.command(forKey: "left") == .moveSelection(.left))
        #expect(table.command(forKey: "k") == .moveSelection(.down))
        #expect(table.command(forKey: "x") == nil)
    }

    @Test func helpListsEveryBindingOnce() {
        let lines = table.helpLines
        let listedKeys = lines.flatMap { $0.keys.split(separator: " / ").map(String.init) }
        #expect(Set(listedKeys) == table.keyNames)
        #expect(listedKeys.count == table.bindings.count)
        #expect(lines.contains { $0.keys == "space / p" })
    }
}

struct KeySequenceTests {
    @Test func parsesFramesAndKeys() throws {
        let keys = try KeySequence.parse("10:o, 20:right,25:B")
        #expect(keys == [ScheduledKey(frame: 10, key: "o"), ScheduledKey(frame: 20, key: "right"), ScheduledKey(frame: 25, key: "b")])
    }

    @Test func repeatsSortsByFrameAndKeepsWrittenOrder() throws {
        let keys = try KeySequence.parse("5:u,2:right*3,5:b")
        #expect(keys.map(\.frame) == [2, 2, 2, 5, 5])
        #expect(KeySequence.keys(at: 5, in: keys) == ["u", "b"])
        #expect(KeySequence.keys(at: 3, in: keys).isEmpty)
    }

    @Test func emptyIsNoKeys() throws {
        #expect(try KeySequence.parse("").isEmpty)
        #expect(try KeySequence.parse(" , ").isEmpty)
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(throws: KeySequenceError.malformedEntry("10o")) { try KeySequence.parse("10o") }
        #expect(throws: KeySequenceError.badFrame("-1:o")) { try KeySequence.parse("-1:o") }
        #expect(throws: KeySequenceError.badFrame("x:o")) { try KeySequence.parse("x:o") }
        #expect(throws: KeySequenceError.malformedEntry("3:o*0")) { try KeySequence.parse("3:o*0") }
        do {
            _ = try KeySequence.parse("1:zz")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("unknown key 'zz'"))
            #expect(error.description.contains("right"))
        }
    }
}
