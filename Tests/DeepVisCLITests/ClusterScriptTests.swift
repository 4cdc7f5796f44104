import Foundation
import TestSupport
import Testing

/// The Kubernetes Indexed Job users apply (Scripts/cluster/atlas-job.yaml): valid YAML, and its
/// command and environment, given the index Kubernetes sets, make deepvis take that shard.
@Suite struct ClusterScriptTests {
    static let manifest = Fixtures.root + "/Scripts/cluster/atlas-job.yaml"

    /// The manifest's fields that matter, read by PyYAML (Debian's python3-yaml).
    struct Job: Decodable {
        let kind: String
        let completionMode: String
        let completions: Int
        let parallelism: Int
        let restartPolicy: String
        let command: [String]
        let env: [String: String]
    }

    static func readJob() throws -> Job {
        let script = """
        import json, sys, yaml
        docs = list(yaml.safe_load_all(open(sys.argv[1])))
        assert len(docs) == 1, f"{len(docs)} YAML documents"
        d = docs[0]; spec = d["spec"]; pod = spec["template"]["spec"]; c = pod["containers"][0]
        print(json.dumps({"kind": d["kind"], "completionMode": spec["completionMode"], "completions": spec["completions"],
                          "parallelism": spec["parallelism"], "restartPolicy": pod["restartPolicy"], "command": c["command"],
                          "env": {e["name"]: e["value"] for e in c.get("env", [])}}))
        """
        let python = try ExternalTools.require("python3", install: "apt-get install python3-yaml")
        let json = try ExternalTools.run(python, ["-c", script, manifest])
        return try JSONDecoder().decode(Job.self, from: json)
    }

    @Test func indexedJobManifestIsValidAndSelectsTheShard() throws {
        let job = try Self.readJob()
        #expect(job.kind == "Job" && job.completionMode == "Indexed", "only an Indexed Job gets JOB_COMPLETION_INDEX")
        #expect(job.env["DEEPVIS_SHARD_COUNT"] == String(job.completions), "the shard count deepvis reads equals the completions")
        #expect(job.restartPolicy == "Never" && job.parallelism <= job.completions)
        try #require(job.command.first == "deepvis" && job.command.dropFirst().first == "atlas", "\(job.command)")
        #expect(!job.command.contains("--shard"), "the shard comes from the index, not a fixed flag")

        // Run the pod's command as Kubernetes would for index 3, with the volume mapped to a local folder.
        let volume = try ExternalTools.temporaryDirectory("k8s-volume")
        try FileManager.default.createSymbolicLink(atPath: volume + "/photos", withDestinationPath: Fixtures.photosDir)
        let args = job.command.dropFirst().map { $0.replacingOccurrences(of: "/data", with: volume) }
            + ["--units", "0-\(job.completions - 1)", "--iterations", "1", "--patches", "1", "--preset", "paper-3"]
        let r = try CLI.run(Array(args), environment: job.env.merging(["JOB_COMPLETION_INDEX": "3"]) { $1 })
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("shard 3/\(job.completions) has 1 of \(job.completions) units"), "\(r.stdout)")
        let out = args[args.firstIndex(of: "--out")! + 1]
        #expect(FileManager.default.fileExists(atPath: out + "/unit-0003/unit.json"), "index 3 computed unit 3")
        #expect(!FileManager.default.fileExists(atPath: out + "/unit-0002"), "and nothing else")
    }

    @Test func slurmScriptTakesItsShardAndThreadsFromSlurm() throws {
        let text = try String(contentsOfFile: Fixtures.root + "/Scripts/cluster/atlas.sbatch", encoding: .utf8)
        #expect(text.hasPrefix("#!"), "sbatch needs an interpreter line")
        #expect(text.contains("#SBATCH --array=0-") && text.contains("#SBATCH --cpus-per-task="))
        #expect(text.contains("--shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\"") && text.contains("--threads \"${SLURM_CPUS_PER_TASK"))
        let syntax = try ExternalTools.run(tool: "bash", ["-n", Fixtures.root + "/Scripts/cluster/atlas.sbatch"])
        #expect(syntax.isEmpty)
    }
}
