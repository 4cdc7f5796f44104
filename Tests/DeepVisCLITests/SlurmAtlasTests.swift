import Foundation
import TestSupport
import Testing

/// `deepvis atlas` as real Slurm array jobs (Scripts/slurm-local: munged + slurmctld + slurmd on
/// this machine), through the script users submit (Scripts/cluster/atlas.sbatch): the data pass
/// split by images, then the units, then the merge — byte for byte the one-process atlas.
@Suite(.serialized) struct SlurmAtlasTests {
    static let root = Fixtures.root
    /// The test's own cluster: its own scratch directory and ports, so a user's `slurm-local` is not disturbed.
    static let clusterDir = NSTemporaryDirectory() + "deepvis-slurm-test-\(getpid())"
    static let clusterEnv = ["DEEPVIS_SLURM_DIR": clusterDir, "DEEPVIS_SLURM_PORT": "6927", "SLURM_CONF": clusterDir + "/slurm.conf"]
    /// Enough gradient-ascent steps that one unit takes a few seconds: the cancel lands inside a unit.
    static let atlasArgs = "--units 0-8 --iterations 30 --patches 2 --preset paper-3"

    @Test func arrayJobMergesToTheSingleRunAndACancelledTaskResumes() throws {
        guard getuid() == 0 else {
            Issue.record("this test runs a real Slurm cluster and needs root (CI runs as root): sudo Scripts/test --filter SlurmAtlasTests")
            return
        }
        let work = try ExternalTools.temporaryDirectory("slurm-atlas")
        let photos = try photoFolder(in: work)
        let one = work + "/one", sharded = work + "/sharded"

        // The reference: one process, the same settings and thread count as each array task.
        let single = try CLI.run(["atlas", "--layer", "blocks.1", "--images", photos, "--out", one, "--threads", "1"]
                                 + Self.atlasArgs.split(separator: " ").map(String.init))
        try #require(single.status == 0, "\(single.stderr)")
        #expect(single.stderr.contains("warning: skipped broken.jpg"), "the corrupt photo is skipped with a warning: \(single.stderr)")

        // Registered first: a start that fails half-way still stops what it started.
        defer { _ = try? run(Self.root + "/Scripts/slurm-local", ["stop"]) }
        try run(Self.root + "/Scripts/slurm-local", ["start"])
        #expect(try run(Self.root + "/Scripts/slurm-local", ["start"]).contains("already running"), "start is idempotent")

        let jobEnv = ["LAYER": "blocks.1", "IMAGES": photos, "OUT": sharded, "SHARDS": "3", "DEEPVIS": try CLI.binary(),
                      "ATLAS_ARGS": Self.atlasArgs]
        // --time bounds every task (and so `sbatch --wait`): a hung task fails the test instead of hanging it.
        let submit = ["--parsable", "--cpus-per-task=1", "--time=10", "--chdir=\(work)", "--output=\(work)/task-%a.log", Self.root + "/Scripts/cluster/atlas.sbatch"]
        // Step 1: the data pass split by images, 3 tasks; --wait returns when all have ended.
        try run("/usr/bin/sbatch", ["--wait", "--array=0-2"] + submit, environment: jobEnv.merging(["STEP": "top"]) { $1 })
        for i in 0..<3 { #expect(FileManager.default.fileExists(atPath: "\(sharded)/top/part-\(i)-of-3.json"), "data-pass part \(i)") }
        // Step 2: the units, 3 tasks, using the parts instead of their own data pass.
        let job = try run("/usr/bin/sbatch", ["--array=0-2"] + submit, environment: jobEnv).trimmingCharacters(in: .whitespacesAndNewlines)

        // Task 1 owns units 1, 4 and 7: cancel it as soon as unit 1 is finished, in the middle of unit 4.
        let firstDone = sharded + "/unit-0001/unit.json"
        try waitFor("task 1 to finish unit 1", seconds: 300) { FileManager.default.fileExists(atPath: firstDone) }
        try run("/usr/bin/scancel", ["\(job)_1"])
        try waitForJob(job)
        let finished = (0..<9).filter { FileManager.default.fileExists(atPath: sharded + String(format: "/unit-%04d/unit.json", $0)) }
        #expect(!finished.contains(4) || !finished.contains(7), "the cancelled task left some of its units unfinished: \(finished)")
        let early = try CLI.run(["atlas", "merge", "--out", sharded])
        #expect(early.status != 0 && early.stderr.contains("have no results yet"), "\(early.stderr)")
        let stamps = try finished.map { try stamp(sharded + String(format: "/unit-%04d/unit.json", $0)) }

        // Resubmit only task 1: it must skip what it finished and do the rest.
        let again = try run("/usr/bin/sbatch", ["--array=1"] + submit, environment: jobEnv).trimmingCharacters(in: .whitespacesAndNewlines)
        try waitForJob(again)
        let log = try String(contentsOfFile: work + "/task-1.log", encoding: .utf8)
        let skippedByTask1 = finished.filter { $0 % 3 == 1 }.count
        #expect(log.contains("skipped \(skippedByTask1) finished unit(s)"), "\(log)")
        #expect(log.contains("shard 1/3 has 3 of 9 units, 1 thread(s)"), "--threads follows --cpus-per-task: \(log)")
        #expect(log.contains("using the split data pass"), "\(log)")
        #expect(try finished.map { try stamp(sharded + String(format: "/unit-%04d/unit.json", $0)) } == stamps,
                "finished units were not rewritten")

        let merged = try CLI.run(["atlas", "merge", "--out", sharded])
        #expect(merged.status == 0 && merged.stdout.contains("merged 9 units"), "\(merged.stderr)")
        let a = try Fixtures.fileContents(under: one), b = try Fixtures.fileContents(under: sharded).filter { !$0.key.hasPrefix("top/") }
        #expect(a.keys.sorted() == b.keys.sorted(), "same files")
        #expect(a.keys.filter { a[$0] != b[$0] }.sorted() == [], "files that differ byte for byte")
        #expect(a["index.html"] != nil && a.count > 9 * 6)
        try? FileManager.default.removeItem(atPath: work)

        let daemons = ["munged", "slurmctld", "slurmd"]
        let pids = try daemons.map { try String(contentsOfFile: "\(Self.clusterDir)/\($0).pid", encoding: .utf8) }
            .map { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        let stopped = try run(Self.root + "/Scripts/slurm-local", ["stop"])
        #expect(!FileManager.default.fileExists(atPath: Self.clusterDir), "stop removes the scratch directory")
        for (name, pid) in zip(daemons, pids) {
            #expect(pid > 0 && kill(pid, 0) != 0, "\(name) (pid \(pid)) has exited: \(stopped)")
        }
    }

    @Test func aTakenPortIsAClearErrorAndNothingIsStarted() throws {
        guard getuid() == 0 else { Issue.record("needs root, like the cluster test"); return }
        let port: UInt16 = 6937
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0, "could not occupy port \(port) for the test")
        let dir = NSTemporaryDirectory() + "deepvis-slurm-port-\(getpid())"
        let env = ["DEEPVIS_SLURM_DIR": dir, "DEEPVIS_SLURM_PORT": "\(port)", "SLURM_CONF": dir + "/slurm.conf"]
        defer { _ = try? run(Self.root + "/Scripts/slurm-local", ["stop"], environment: env) }
        #expect {
            try run(Self.root + "/Scripts/slurm-local", ["start"], environment: env)
        } throws: { error in
            "\(error)".contains("port \(port) (for slurmctld) is already in use by another program")
        }
        #expect(!FileManager.default.fileExists(atPath: dir), "nothing was started or written")
    }

    /// The scikit-image photos (Scripts/reference-outputs writes them) and one truncated JPEG.
    private func photoFolder(in work: String) throws -> String {
        let dir = work + "/photos"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["astronaut", "chelsea", "coffee", "rocket"] {
            let source = "\(Fixtures.photosDir)/\(name).jpg"
            guard FileManager.default.fileExists(atPath: source) else {
                throw ExternalToolError("\(source) is missing; run Scripts/reference-outputs")
            }
            try FileManager.default.copyItem(atPath: source, toPath: "\(dir)/\(name).jpg")
        }
        let coffee = try Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.photosDir)/coffee.jpg"))
        try coffee.prefix(3000).write(to: URL(fileURLWithPath: dir + "/broken.jpg"))
        return dir
    }

    /// Runs a command with the cluster's environment; returns stdout, throws with its output on failure.
    @discardableResult
    private func run(_ executable: String, _ args: [String], environment: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(Self.clusterEnv) { $1 }.merging(environment) { $1 }
        let out = try ExternalTools.temporaryDirectory("slurm-run") + "/out"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            throw ExternalToolError("\(executable) \(args.joined(separator: " ")) exited \(p.terminationStatus): \(text.suffix(1500))")
        }
        return text
    }

    private func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: Self.clusterDir)) ?? []
        throw ExternalToolError("timed out after \(Int(seconds)) s waiting for \(what); cluster files: \(logs)")
    }

    /// Waits until the job (all its array tasks) has left the queue.
    private func waitForJob(_ job: String) throws {
        try waitFor("job \(job) to end", seconds: 300) {
            // squeue fails with "Invalid job id" once a finished job has been purged: also gone.
            (try? run("/usr/bin/squeue", ["-h", "-j", job, "-o", "%i"]))?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true
        }
    }

    private func stamp(_ path: String) throws -> String {
        let a = try FileManager.default.attributesOfItem(atPath: path)
        return "\(a[.modificationDate]!) \(a[.systemFileNumber]!)"
    }

}
