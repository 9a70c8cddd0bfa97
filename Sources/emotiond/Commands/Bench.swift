import ArgumentParser
import Broker
import Foundation
import Fusion
import NN
import Pipeline
import Store
import Vision

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the pipeline: ms per stage (median, p95), CPU time per clip, clips/s, peak RSS.",
        discussion: """
        Run it from a release build (swift build -c release); bench/run.sh does that and compares \
        with the Python reference in bench/reference. Clips are read into memory first, run once \
        untimed, then --iterations times. Stages are the classifier's own latency_ms stages \
        (decode, audio_features, audio_model, faces, video_model, fusion) plus json_encode and \
        store (an AggregateStore insert into a temporary SQLite file). decode_audio_only and \
        decode_video_only are extra decodes of one stream each, outside the per-clip totals. \
        With --broker HOST:PORT each event is also published (QoS 1) and `publish` is the time until \
        the broker's PUBACK; without it publishing is not measured.

        Default clips: samples/*, <data>/ravdess-video/*.mp4 and --speech-clips FLACs from \
        <data>/ravdess-speech (one per actor), those that exist.

        Examples:
          emotiond bench --iterations 5
          emotiond bench --json --gemm --clips samples/01-01-07-02-02-01-01.mp4
        """)

    @OptionGroup var models: ClassifierOptions

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Clips to measure (default: see above).", valueName: "file"))
    var clips: [String] = []

    @Option(help: ArgumentHelp("Data directory for the default clips.", valueName: "dir"))
    var data = "../shared/data"

    @Option(help: "RAVDESS speech FLACs added to the default clips.")
    var speechClips = 10

    @Option(help: "Timed runs per clip.")
    var iterations = 5

    @Option(help: "OpenBLAS and OpenCV threads during the per-stage pass.")
    var threads = 1

    @Option(help: "Throughput runs with 1...N workers (0 skips them).")
    var maxWorkers = 2

    @Option(help: ArgumentHelp("MQTT broker to publish each event to (QoS 1), timing the publish stage.", valueName: "host:port"))
    var broker: String?

    @Flag(help: "Also time cblas_sgemm 1024^3 (1 thread).")
    var gemm = false

    @Flag(help: "Print the full report as JSON (with every sample).")
    var json = false

    func validate() throws {
        guard iterations >= 1, iterations <= 1000 else { throw ValidationError("--iterations must be in 1...1000") }
        guard threads >= 1, maxWorkers >= 0, maxWorkers <= 64 else { throw ValidationError("--threads >= 1, --max-workers in 0...64") }
    }

    func run() throws {
        let paths = clips.isEmpty ? defaultClips() : clips
        guard !paths.isEmpty else { throw CLIError.input("no clips: give --clips or run from the package root") }
        let inputs = try paths.map { path -> BenchRunner.Clip in
            do { return BenchRunner.Clip(path: path, bytes: try readFile(path, limit: 1 << 30)) } catch {
                throw CLIError.input("\(path): \(error)")
            }
        }
        let runner: BenchRunner
        do { runner = try BenchRunner(configuration: models.configuration) } catch { throw CLIError.setup("\(error)") }

        let storeDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("emotiond-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: storeDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: storeDirectory) }
        let store = try AggregateStore(path: storeDirectory.appendingPathComponent("bench.sqlite").path)
        var outputs = [BenchRunner.Output(name: "store") { event, _ in _ = try store.record(StoredResult(event: event)) }]
        var client: MQTTClient?
        defer { client?.disconnect() }
        if let broker {
            let connected = try Self.connect(broker)
            client = connected
            outputs.append(BenchRunner.Output(name: "publish") { _, json in
                try connected.publish(topic: "emotiond/bench/emotion", payload: [UInt8](json), qos: 1)
                // Until the PUBACK: the round trip the daemon waits for before acknowledging a clip.
                let deadline = Date().addingTimeInterval(5)
                while connected.statistics.outstandingPublishes > 0 {
                    guard Date() < deadline else { throw CLIError.input("no PUBACK from \(broker) within 5 s") }
                    usleep(20)
                }
            })
        }

        BLASThreads.set(threads)
        FaceDetector.setOpenCVThreadCount(threads)
        let stagePass = runner.measureStages(clips: inputs, iterations: iterations, outputs: outputs)

        var throughput: [BenchRunner.Throughput] = []
        let usable = inputs.filter { stagePass.failures[$0.path] == nil }
        if maxWorkers > 0, !usable.isEmpty {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            for workers in 1...maxWorkers {
                // One worker may use every core inside the libraries; several get one thread each.
                let libraryThreads = workers == 1 ? cores : 1
                throughput.append(try runner.throughput(clips: usable, iterations: iterations, workers: workers,
                                                        libraryThreads: libraryThreads))
            }
        }
        var gemmResults: [BenchGemm.Result] = []
        if gemm {
            gemmResults.append(BenchGemm.measure(size: 1024, repeats: 5, threads: 1))
        }
        var report = BenchReport(
            iterations: iterations, stageLibraryThreads: threads, samples: stagePass.samples, clips: stagePass.results,
            failures: stagePass.failures, throughput: throughput, gemm: gemmResults.first,
            publish: broker.map { "QoS 1 publish to \($0), timed until PUBACK" }
                ?? "not measured: no broker given (--broker HOST:PORT times it)")
        if !json {
            print(report.text)
            return
        }
        report.samples.sort { ($0.clip, $0.iteration) < ($1.clip, $1.iteration) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// A connected client for `host:port` (clean session, its own client id).
    private static func connect(_ address: String) throws -> MQTTClient {
        let parts = address.split(separator: ":", maxSplits: 1).map(String.init)
        guard let host = parts.first, !host.isEmpty else { throw CLIError.input("--broker wants HOST:PORT, got '\(address)'") }
        let port = parts.count > 1 ? Int(parts[1]) : 1883
        guard let port, (1...65_535).contains(port) else { throw CLIError.input("--broker: bad port in '\(address)'") }
        let client = try MQTTClient(configuration: MQTTConfiguration(
            host: host, port: port, clientID: "emotiond-bench-\(ProcessInfo.processInfo.processIdentifier)",
            cleanSession: true, connectTimeout: 5))
        let done = DispatchSemaphore(value: 0)
        let outcome = ConnectOutcome()
        Task {
            do { try await client.connect() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw CLIError.setup("broker \(address): \(error)") }
        return client
    }

    /// samples/*, the RAVDESS videos and one speech FLAC per actor, those present.
    private func defaultClips() -> [String] {
        let fm = FileManager.default
        func list(_ dir: String, _ extensions: Set<String>) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
                .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .map { (dir as NSString).appendingPathComponent($0) }
        }
        var out = list("samples", ["mp4", "mkv", "webm", "wav", "flac", "mp3", "ogg"])
        // samples/ holds copies of some RAVDESS videos: measure each file name once.
        var names = Set(out.map { ($0 as NSString).lastPathComponent })
        for video in list((data as NSString).appendingPathComponent("ravdess-video"), ["mp4"])
        where names.insert((video as NSString).lastPathComponent).inserted {
            out.append(video)
        }
        let speech = (data as NSString).appendingPathComponent("ravdess-speech")
        let actors = ((try? fm.contentsOfDirectory(atPath: speech)) ?? []).sorted().filter { $0.hasPrefix("Actor_") }
        for actor in actors.prefix(max(0, speechClips)) {
            // The same sentence and take for every actor, a strong-intensity emotion varying by actor.
            if let first = list((speech as NSString).appendingPathComponent(actor), ["flac"])
                .first(where: { ($0 as NSString).lastPathComponent.hasPrefix("03-01-0\(2 + actors.firstIndex(of: actor)! % 7)-02-01-01") }) {
                out.append(first)
            }
        }
        return out
    }
}

/// Carries the result of the asynchronous connect back to the synchronous command.
private final class ConnectOutcome: @unchecked Sendable {
    var error: Error?
}
