import Daemon
import Foundation
import Fusion
import Pipeline
import Store
import XCTest

/// The Pipeline and Store adapters in-process, with the real models and real SQLite files.
final class AdapterTests: XCTestCase {
    private func configuration(_ scratch: ScratchDirectory, audioModel: String = Checkout.facialModel) -> DaemonConfiguration {
        var c = DaemonConfiguration()
        c.models.audio = audioModel
        c.models.facial = Checkout.facialModel
        c.store.path = scratch.path("stats.sqlite")
        c.spool.dir = scratch.path("spool")
        c.workers.count = 2
        return c
    }

    private func job(_ device: String, _ id: String, _ parts: [(ClipKind, Data)]) -> ClipJob {
        let now = Date()
        return ClipJob(device: device, clipID: id, capturedAt: now, parts: parts.map {
            AcceptedClip(device: device, kind: $0.0, clipID: id, clipIDIsExplicit: true, capturedAt: now, receivedAt: now, payload: $0.1)
        })
    }

    func testPipelineProcessorClassifiesClipsAndChunkPairsConcurrentlyAndCodesBadMedia() async throws {
        let scratch = try ScratchDirectory()
        let processor = try PipelineClipProcessor(configuration: configuration(scratch, audioModel: try Checkout.audioModel()))
        defer { processor.shutdown() }
        let av = try Data(contentsOf: Checkout.sample("01-01-07-02-02-01-01.mp4"))
        let flac = try Data(contentsOf: Checkout.sample("03-01-05-02-01-01-01.flac"))
        let video = try Data(contentsOf: Checkout.sample("01-01-08-02-01-01-19.mp4"))

        // Four jobs at once on two worker threads; every one completes with its own result.
        async let a = processor.process(job("d1", "av", [(.clip, av)]))
        async let b = processor.process(job("d2", "flac", [(.clip, flac)]))
        async let c = processor.process(job("d3", "pair", [(.audio, flac), (.video, video)]))
        async let d = processor.process(job("d4", "video-alone", [(.video, video)]))
        let (ea, eb, ec, ed) = try await (a, b, c, d)
        XCTAssertEqual(ea.clipID, "av")
        XCTAssertEqual(Set(ea.fusion.modalitiesUsed), [.audio, .video])
        XCTAssertEqual(eb.fusion.modalitiesUsed, [.audio])
        XCTAssertEqual(ec.device, "d3")
        XCTAssertEqual(Set(ec.fusion.modalitiesUsed), [.audio, .video], "audio chunk + video chunk fused")
        XCTAssertNotNil(ec.modalities.audio)
        XCTAssertGreaterThan(ec.modalities.video?.facesFound ?? 0, 0)
        XCTAssertEqual(ed.fusion.modalitiesUsed, [.video])
        XCTAssertNotNil(ea.latencyMS["decode"])

        // An /audio chunk that holds only video has nothing for the audio branch.
        do {
            _ = try await processor.process(job("d5", "x", [(.audio, video)]))
            XCTFail("a video file sent as an audio chunk cannot be classified")
        } catch let error as PipelineError {
            XCTAssertEqual(DaemonErrorCode.code(for: error), error.code)
            XCTAssertFalse(error.code.isEmpty)
        }
        // Garbage: the media code, prefixed message for a chunk.
        do {
            _ = try await processor.process(job("d6", "y", [(.audio, Data("garbage".utf8)), (.video, video)]))
            XCTFail("garbage chunk")
        } catch let error as PipelineError {
            XCTAssertEqual(error.code, "unsupported_container")
            XCTAssertTrue(error.message.hasPrefix("audio chunk: "), error.message)
        }

        // Reloaded intake limits reach the decoders.
        var intake = DaemonConfiguration.Intake()
        intake.maxDurationS = 1
        processor.update(intake: intake)
        do {
            _ = try await processor.process(job("d7", "long", [(.clip, av)]))
            XCTFail("a 3 s clip over a 1 s limit")
        } catch let error as PipelineError {
            XCTAssertEqual(error.code, "too_long")
        }
    }

    func testFacialModelMustBeTheMiniXceptionFileWithItsSidecar() throws {
        let scratch = try ScratchDirectory()
        var c = configuration(scratch)
        c.models.facial = scratch.path("other.safetensors")
        XCTAssertThrowsError(try PipelineClipProcessor.classifierConfiguration(c)) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "models.facial")
        }
        // A symlink with another name (as `make install` creates) is followed.
        let link = scratch.path("facial.safetensors")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Checkout.facialModel)
        c.models.facial = link
        let resolved = try PipelineClipProcessor.classifierConfiguration(c)
        XCTAssertEqual(resolved.facialModelDirectory, URL(fileURLWithPath: Checkout.facialModel).deletingLastPathComponent().path)
    }

    func testResultStoreBatchesBySizeAndTimeAndCountsErrors() async throws {
        let scratch = try ScratchDirectory()
        var c = configuration(scratch)
        c.store.batchSize = 3
        c.store.flushIntervalS = 1
        let results = try AggregateResultStore(configuration: c)
        func event(_ id: String) -> EmotionEvent {
            var p = [Float](repeating: 0.05, count: 8)
            p[2] = 0.65
            let fused = LateFusion.fuse([ModalityPrediction(modality: .audio, probabilities: p, modelID: "test")])!
            return EmotionEvent(device: "kitchen", clipID: id, capturedAt: Date(), processedAt: Date(), fused: fused,
                                modalities: .init(), models: [:], latencyMS: ["total": 12])
        }
        func clips() throws -> Int {
            try StatsQuery(files: [c.store.path], bucket: .minute).run().reduce(0) { $0 + $1.clips }
        }
        // `written` tells the engine when a clip's journal entry may go: only after its batch commits.
        let written = WrittenIDs()
        func record(_ id: String) async throws { try await results.record(event(id)) { written.add(id) } }
        for id in ["1", "2"] { try await record(id) }
        XCTAssertEqual(try clips(), 0, "below batch_size and before the timer: nothing written yet")
        XCTAssertEqual(written.ids, [], "nothing reported written before it is")
        try await record("3")
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(try clips(), 3, "a full batch is written at once")
        XCTAssertEqual(written.ids.sorted(), ["1", "2", "3"])
        try await record("4")
        try await record("3") // a replay: counted once
        try await Task.sleep(nanoseconds: 1_500_000_000)
        XCTAssertEqual(try clips(), 4, "the timer writes a partial batch")
        XCTAssertEqual(written.ids.sorted(), ["1", "2", "3", "3", "4"], "a replay already stored is reported written too")
        try await results.recordError(ErrorEvent(device: "kitchen", clipID: "5", code: "decode_failed", message: "x", at: Date()))
        try await results.recordError(ErrorEvent(device: nil, clipID: nil, code: "bad_topic", message: "x", at: Date()))
        try await record("6")
        try await results.flush()
        XCTAssertEqual(written.ids.last, "6", "flush reports what it wrote")
        let rows = try StatsQuery(files: [c.store.path], bucket: .hour).run()
        XCTAssertEqual(rows.reduce(0) { $0 + $1.clips }, 5)
        XCTAssertEqual(rows.reduce(0) { $0 + $1.errors }, 1)
        XCTAssertEqual(rows.first?.dominant, .happy)

        var shorter = c.store
        shorter.retentionDaysBuckets = 3
        results.update(store: shorter)
        try await results.flush()
        XCTAssertEqual(results.store.configuration.dayRetention, 3 * 86_400)
        XCTAssertEqual(results.store.configuration.minuteRetention, 3 * 86_400)
        results.close()
    }
}

/// Clip ids whose results the store reported written (called from its queue).
private final class WrittenIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ id: String) { lock.withLock { list.append(id) } }
    var ids: [String] { lock.withLock { list } }
}
