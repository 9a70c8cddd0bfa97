import Foundation
import Fusion
import Media
import NN
import Vision

/// The measuring half of `emotiond bench`: runs clips through `ClipClassifier` and records
/// per-stage wall time (from the classifier's own `StageTimer`, so the numbers are the ones
/// the daemon reports in `latency_ms`), CPU time per clip, throughput with several workers and
/// peak memory.
///
/// Why a library type: the command only parses options and prints; keeping the measuring here
/// lets the daemon's outputs (store, broker) be timed by the caller through `outputs`, without
/// Pipeline depending on them.
public final class BenchRunner {
    /// One input file, read into memory once so that file I/O is never timed.
    public struct Clip: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// A timed stage run after classification on the event (JSON encoding, store insert,
    /// publish). Returns nothing; its wall time is recorded under `name`.
    public struct Output {
        public var name: String
        public var run: (EmotionEvent, Data) throws -> Void
        public init(name: String, run: @escaping (EmotionEvent, Data) throws -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// One classification of one clip.
    public struct Sample: Codable, Sendable {
        public var clip: String
        public var kind: String
        public var iteration: Int
        /// Wall milliseconds per stage: the classifier's `latency_ms` stages plus
        /// `json_encode`, the outputs, and `decode_audio_only` / `decode_video_only` (separate
        /// decodes of one stream each, outside the timed clip).
        public var stagesMS: [String: Double]
        /// Wall milliseconds from the bytes to the last output.
        public var wallMS: Double
        /// Process CPU milliseconds (user + system, all threads) over the same span.
        public var cpuMS: Double
        /// Process CPU milliseconds from the bytes to the encoded JSON only: the steps the Python
        /// reference also does (it neither stores nor publishes), for a like-for-like ratio.
        public var cpuMSPipeline: Double
    }

    /// What the classifier said about a clip (first iteration), for agreement checks.
    public struct ClipResult: Codable, Sendable {
        public var clip: String
        public var kind: String
        public var durationS: Double
        public var frames: Int
        public var frameWidth: Int
        public var frameHeight: Int
        public var facesFound: Int
        public var emotion: String
        public var audioEmotion: String?
        public var videoEmotion: String?
        public var probabilities: [String: Float]
    }

    /// A throughput run: every clip `iterations` times spread over `workers` threads.
    public struct Throughput: Codable, Sendable {
        public var workers: Int
        public var blasThreads: Int
        public var openCVThreads: Int
        public var clips: Int
        public var seconds: Double
        public var clipsPerSecond: Double
        public var cpuMSPerClip: Double
        public var failures: Int
    }

    public let configuration: ClassifierConfiguration
    private let classifier: ClipClassifier
    private let audioOnly: ClipDecoder
    private let videoOnly: ClipDecoder

    /// Loads the models once for the stage measurements (throughput workers load their own).
    public init(configuration: ClassifierConfiguration) throws {
        self.configuration = configuration
        classifier = try ClipClassifier(configuration: configuration)
        var options = DecodeOptions()
        options.videoFrameCount = configuration.frameCount
        options.maxFrameSide = configuration.maxFrameSide
        options.decodeVideo = false
        audioOnly = ClipDecoder(limits: configuration.limits, options: options)
        options.decodeVideo = true
        options.decodeAudio = false
        videoOnly = ClipDecoder(limits: configuration.limits, options: options)
    }

    /// Runs each clip `iterations` times (after one untimed warm-up pass over all clips) on
    /// the calling thread. Clips the pipeline cannot classify are reported in `failures`.
    public func measureStages(
        clips: [Clip], iterations: Int, outputs: [Output]
    ) -> (samples: [Sample], results: [ClipResult], failures: [String: String]) {
        var failures: [String: String] = [:]
        var results: [ClipResult] = []
        var samples: [Sample] = []
        var kinds: [String: String] = [:]
        // Warm-up: page in code and models, let allocators settle; also records what each clip is.
        for clip in clips {
            do {
                let decoded = try ClipDecoder(limits: configuration.limits, options: decodeOptions).decode(clip.bytes)
                let event = try classifier.classify(clip.bytes, device: "bench", clipID: UUID().uuidString)
                let kind = Self.kind(of: decoded)
                kinds[clip.path] = kind
                let frame = decoded.frames.first
                results.append(ClipResult(
                    clip: clip.path, kind: kind, durationS: decoded.durationSeconds, frames: decoded.frames.count,
                    frameWidth: frame?.width ?? 0, frameHeight: frame?.height ?? 0,
                    facesFound: event.modalities.video?.facesFound ?? 0, emotion: event.emotion.rawValue,
                    audioEmotion: event.modalities.audio?.emotion.rawValue,
                    videoEmotion: event.modalities.video?.emotion?.rawValue,
                    probabilities: event.probabilities))
            } catch {
                failures[clip.path] = "\(error)"
            }
        }
        for iteration in 0..<max(1, iterations) {
            for clip in clips {
                guard let kind = kinds[clip.path] else { continue }
                do {
                    let cpu0 = BenchResourceUsage.processCPUSeconds()
                    let wall0 = DispatchTime.now().uptimeNanoseconds
                    let event = try classifier.classify(clip.bytes, device: "bench", clipID: UUID().uuidString)
                    var stages = event.latencyMS
                    stages["classify_total"] = stages.removeValue(forKey: "total")
                    var mark = DispatchTime.now().uptimeNanoseconds
                    func lap(_ name: String) {
                        let now = DispatchTime.now().uptimeNanoseconds
                        stages[name] = Double(now - mark) / 1e6
                        mark = now
                    }
                    let json = try event.wireJSON()
                    lap("json_encode")
                    let pipelineCPU = (BenchResourceUsage.processCPUSeconds() - cpu0) * 1000
                    for output in outputs {
                        try output.run(event, json)
                        lap(output.name)
                    }
                    let wall = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e6
                    let cpu = (BenchResourceUsage.processCPUSeconds() - cpu0) * 1000
                    // One-stream decodes, outside the timed span: how decode time splits.
                    if kind == "av" {
                        var t = DispatchTime.now().uptimeNanoseconds
                        _ = try audioOnly.decode(clip.bytes)
                        stages["decode_audio_only"] = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
                        t = DispatchTime.now().uptimeNanoseconds
                        _ = try videoOnly.decode(clip.bytes)
                        stages["decode_video_only"] = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
                    }
                    samples.append(Sample(clip: clip.path, kind: kind, iteration: iteration, stagesMS: stages,
                                          wallMS: wall, cpuMS: cpu, cpuMSPipeline: pipelineCPU))
                } catch {
                    failures[clip.path] = "\(error)"
                }
            }
        }
        return (samples, results, failures)
    }

    /// Classifies every clip `iterations` times with `workers` threads, each with its own
    /// `ClipClassifier` (loaded before the clock starts), pulling clips from a shared queue.
    /// OpenBLAS and OpenCV are set to `libraryThreads` threads for the run.
    public func throughput(clips: [Clip], iterations: Int, workers: Int, libraryThreads: Int) throws -> Throughput {
        let previousBLAS = BLASThreads.current
        BLASThreads.set(libraryThreads)
        FaceDetector.setOpenCVThreadCount(libraryThreads)
        defer { BLASThreads.set(previousBLAS) }
        let count = max(1, workers)
        let classifiers = try (0..<count).map { _ in try ClipClassifier(configuration: configuration) }
        let queue = JobQueue(jobs: (0..<max(1, iterations)).flatMap { _ in clips.indices })
        let cpu0 = BenchResourceUsage.processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let group = DispatchGroup()
        for w in 0..<count {
            let classifier = classifiers[w]
            group.enter()
            let thread = Thread {
                while let job = queue.take() {
                    do {
                        let event = try classifier.classify(clips[job].bytes, device: "bench", clipID: UUID().uuidString)
                        _ = try event.wireJSON()
                    } catch {
                        queue.recordFailure()
                    }
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = BenchResourceUsage.processCPUSeconds() - cpu0
        let failures = queue.failures
        let jobs = queue.jobs
        let done = jobs.count - failures
        return Throughput(workers: count, blasThreads: libraryThreads, openCVThreads: libraryThreads, clips: done,
                          seconds: seconds, clipsPerSecond: Double(done) / seconds,
                          cpuMSPerClip: done > 0 ? cpu * 1000 / Double(done) : 0, failures: failures)
    }

    /// "av" (audio and frames), "audio" (audio only) or "video" (frames only).
    public static func kind(of clip: DecodedClip) -> String {
        switch (clip.audio != nil, !clip.frames.isEmpty) {
        case (true, true): return "av"
        case (true, false): return "audio"
        case (false, true): return "video"
        case (false, false): return "empty"
        }
    }

    private var decodeOptions: DecodeOptions {
        var options = DecodeOptions()
        options.videoFrameCount = configuration.frameCount
        options.maxFrameSide = configuration.maxFrameSide
        options.decodeAudio = configuration.useAudio
        options.decodeVideo = configuration.useVideo
        return options
    }
}

/// The shared job list of a throughput run: clip indices handed out under a lock.
private final class JobQueue: @unchecked Sendable {
    let jobs: [Int]
    private let lock = NSLock()
    private var next = 0
    private var failed = 0

    init(jobs: [Int]) { self.jobs = jobs }

    /// The next clip index, or nil when every job has been handed out.
    func take() -> Int? {
        lock.withLock {
            guard next < jobs.count else { return nil }
            defer { next += 1 }
            return jobs[next]
        }
    }

    func recordFailure() { lock.withLock { failed += 1 } }

    var failures: Int { lock.withLock { failed } }
}
