import Foundation

/// Everything `emotiond bench --json` prints: per-stage summaries per kind of clip, CPU time
/// per clip, throughput, peak memory and the optional sgemm measurement. bench/run.sh reads
/// it to write BENCHMARKS.md.
public struct BenchReport: Codable, Sendable {
    public var tool = "emotiond bench"
    public var iterations: Int
    /// OpenBLAS / OpenCV threads during the per-stage pass.
    public var stageLibraryThreads: Int
    public var clips: [BenchRunner.ClipResult]
    public var failures: [String: String]
    /// kind ("av", "audio", "video", "all") -> stage -> summary of wall milliseconds.
    public var stages: [String: [String: BenchSummary]]
    /// kind -> wall milliseconds from bytes to the last output.
    public var wallMSPerClip: [String: BenchSummary]
    /// kind -> process CPU milliseconds over the same span.
    public var cpuMSPerClip: [String: BenchSummary]
    public var throughput: [BenchRunner.Throughput]
    public var peakRSSKibibytes: Int
    public var vmHWMKibibytes: Int?
    public var gemm: BenchGemm.Result?
    /// Why the publish stage is or is not measured.
    public var publish: String
    public var samples: [BenchRunner.Sample]

    /// Summarises `samples` per kind of clip and for all clips together.
    public init(iterations: Int, stageLibraryThreads: Int, samples: [BenchRunner.Sample],
                clips: [BenchRunner.ClipResult], failures: [String: String], throughput: [BenchRunner.Throughput],
                gemm: BenchGemm.Result?, publish: String) {
        self.iterations = iterations
        self.stageLibraryThreads = stageLibraryThreads
        self.clips = clips
        self.failures = failures
        self.throughput = throughput
        self.gemm = gemm
        self.publish = publish
        self.samples = samples
        var stages: [String: [String: BenchSummary]] = [:]
        var wall: [String: BenchSummary] = [:]
        var cpu: [String: BenchSummary] = [:]
        let kinds = Set(samples.map(\.kind)).sorted() + ["all"]
        for kind in kinds {
            let group = kind == "all" ? samples : samples.filter { $0.kind == kind }
            guard !group.isEmpty else { continue }
            var perStage: [String: [Double]] = [:]
            for s in group { for (name, ms) in s.stagesMS { perStage[name, default: []].append(ms) } }
            stages[kind] = perStage.mapValues { BenchSummary($0) }
            wall[kind] = BenchSummary(group.map(\.wallMS))
            cpu[kind] = BenchSummary(group.map(\.cpuMS))
        }
        self.stages = stages
        wallMSPerClip = wall
        cpuMSPerClip = cpu
        peakRSSKibibytes = BenchResourceUsage.maxRSSKiB()
        vmHWMKibibytes = BenchResourceUsage.vmHWMKiB()
    }

    /// The stages in pipeline order, for printing.
    public static let stageOrder = [
        "decode", "decode_audio_only", "decode_video_only", "audio_features", "audio_model", "faces",
        "video_model", "fusion", "classify_total", "json_encode", "store", "publish",
    ]

    /// A plain-text summary for a terminal.
    public var text: String {
        var lines: [String] = []
        func f(_ x: Double) -> String { String(format: "%8.2f", x) }
        lines.append("emotiond bench: \(clips.count) clips x \(iterations) iterations, OpenBLAS/OpenCV threads \(stageLibraryThreads) in the stage pass")
        for kind in ["av", "audio", "video", "all"] {
            guard let table = stages[kind] else { continue }
            let n = samples.filter { kind == "all" || $0.kind == kind }.count
            lines.append("")
            lines.append("\(kind) (\(n) runs)          median ms    p95 ms")
            for stage in Self.stageOrder + table.keys.filter({ !Self.stageOrder.contains($0) }).sorted() {
                guard let s = table[stage] else { continue }
                lines.append("  " + stage.padding(toLength: 20, withPad: " ", startingAt: 0) + f(s.median) + "  " + f(s.p95))
            }
            if let w = wallMSPerClip[kind], let c = cpuMSPerClip[kind] {
                lines.append("  " + "wall per clip".padding(toLength: 20, withPad: " ", startingAt: 0) + f(w.median) + "  " + f(w.p95))
                lines.append("  " + "CPU per clip".padding(toLength: 20, withPad: " ", startingAt: 0) + f(c.median) + "  " + f(c.p95))
            }
        }
        lines.append("")
        for t in throughput {
            lines.append(String(format: "throughput: %d worker(s), library threads %d: %.2f clips/s (%d clips in %.2f s, %.1f ms CPU/clip)",
                                t.workers, t.blasThreads, t.clipsPerSecond, t.clips, t.seconds, t.cpuMSPerClip))
        }
        lines.append("peak RSS: ru_maxrss \(peakRSSKibibytes / 1024) MiB, VmHWM \(vmHWMKibibytes.map { "\($0 / 1024) MiB" } ?? "n/a")")
        if let g = gemm {
            lines.append(String(format: "sgemm %d^3, %d thread(s): best %.1f ms = %.1f GFLOP/s", g.size, g.threads, g.bestMS, g.gflops))
        }
        lines.append("publish: \(publish)")
        for (clip, why) in failures.sorted(by: { $0.key < $1.key }) { lines.append("failed: \(clip): \(why)") }
        return lines.joined(separator: "\n")
    }
}
