import Foundation
import TestSupport
import Testing

/// `deepvis atlas` as a Slurm array would run it, on the sample video; and `optimize --video`.
@Suite struct AtlasCommandTests {
    static let video = Fixtures.root + "/.cache/sample/sample.mp4"

    @Test func slurmShardsThenMerge() throws {
        let out = try ExternalTools.temporaryDirectory("atlas-cli")
        let args = ["atlas", "--layer", "blocks.1", "--units", "0-2", "--video", Self.video, "--every", "50", "--max-frames", "3",
                    "--iterations", "2", "--patches", "2", "--out", out]
        let first = try CLI.run(args, environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("shard 0/2 has 2 of 3 units"), "\(first.stdout)")
        let early = try CLI.run(["atlas", "merge", "--out", out])
        #expect(early.status != 0 && early.stderr.contains("1 unit(s) have no results yet: 1"), "\(early.stderr)")
        let second = try CLI.run(args, environment: ["JOB_COMPLETION_INDEX": "1", "DEEPVIS_SHARD_COUNT": "2"])
        #expect(second.status == 0 && second.stdout.contains("shard 1/2 has 1 of 3 units"), "\(second.stdout)\(second.stderr)")
        let merged = try CLI.run(["atlas", "merge", "--out", out])
        #expect(merged.status == 0 && merged.stdout.contains("merged 3 units"), "\(merged.stderr)")
        let page = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        // EfficientNet has no max-pooling: the patch images default to guided backprop, and the run says why.
        #expect(first.stdout.contains("guided backprop: no max-pooling"), "\(first.stdout)")
        #expect(page.contains("unit-0002/guided-2.png") && page.contains("frame 50"))
    }

    @Test func optimizeWritesAHistoryVideo() throws {
        let out = try ExternalTools.temporaryDirectory("optimize-video")
        let r = try CLI.run(["optimize", "--layer", "blocks.1", "--unit", "3", "--preset", "paper-3", "--iterations", "6", "--history-every", "2",
                             "--video", "gif", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let gif = out + "/blocks.1-3-paper-3-s0-history.gif"
        #expect(try GeneratedMedia.frameCount(gif) == 4, "steps 0, 2, 4 and the last")
    }
}
