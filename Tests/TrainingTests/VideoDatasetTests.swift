import Foundation
import Fusion
import Models
import NN
import XCTest
@testable import Training

final class VideoDatasetTests: XCTestCase {
    private var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("video-dataset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testLabelsComeFromRAVDESSFileNamesWhenThereIsNoManifest() throws {
        let folder = try temporaryFolder()
        let actor = folder.appendingPathComponent("Actor_12")
        try FileManager.default.createDirectory(at: actor, withIntermediateDirectories: true)
        for name in ["01-01-03-01-01-01-12.mp4", "02-01-08-02-02-02-12.mp4", // AV happy, video-only surprised
                     "03-01-05-01-01-01-12.wav", "03-01-05-01-01-01-12.mp4", // audio-only: ignored
                     "01-01-09-01-01-01-12.mp4", "notes.mp4", "01-01-03-01-01-01.mp4"] { // bad emotion, not RAVDESS
            try Data([0]).write(to: actor.appendingPathComponent(name))
        }
        let entries = try VideoDataset.entries(folder: folder)
        XCTAssertEqual(entries.map(\.file), ["Actor_12/01-01-03-01-01-01-12.mp4", "Actor_12/02-01-08-02-02-02-12.mp4"])
        XCTAssertEqual(entries.map(\.emotion), [.happy, .surprised])
        XCTAssertEqual(entries.map(\.actor), [12, 12])

        let empty = try temporaryFolder()
        XCTAssertThrowsError(try VideoDataset.entries(folder: empty)) { XCTAssertTrue($0 is Manifest.Error) }
    }

    func testAManifestWinsOverFileNames() throws {
        let folder = try temporaryFolder()
        try Data([0]).write(to: folder.appendingPathComponent("01-01-03-01-01-01-12.mp4"))
        try "file,emotion\n01-01-03-01-01-01-12.mp4,sad\n".write(to: folder.appendingPathComponent("MANIFEST.csv"),
                                                                 atomically: true, encoding: .utf8)
        XCTAssertEqual(try VideoDataset.entries(folder: folder).map(\.emotion), [.sad])
    }

    func testTheCacheReturnsOnlyTheExactKey() throws {
        let cache = VideoEmbeddingCache(directory: try temporaryFolder().appendingPathComponent("cache"))
        let matrix = (0..<(22 * 16)).map { Float($0) * 0.5 }
        try cache.write(.init(matrix: matrix, facesFound: 20), key: "clip a", width: 16)
        try cache.write(.init(matrix: nil, facesFound: 0), key: "clip b", width: 16)
        XCTAssertEqual(cache.read(key: "clip a", width: 16), .init(matrix: matrix, facesFound: 20))
        XCTAssertEqual(cache.read(key: "clip b", width: 16), .init(matrix: nil, facesFound: 0))
        XCTAssertNil(cache.read(key: "clip c", width: 16))
        XCTAssertNil(cache.read(key: "clip a", width: 32))
        // A file whose stored key differs (a digest collision or a copy) is a miss.
        try FileManager.default.copyItem(at: cache.url(forKey: "clip a"), to: cache.url(forKey: "clip d"))
        XCTAssertNil(cache.read(key: "clip d", width: 16))
        XCTAssertThrowsError(try cache.write(.init(matrix: [1, 2, 3], facesFound: 1), key: "clip e", width: 16))
        // Garbage is a miss too.
        try Data("garbage".utf8).write(to: cache.url(forKey: "clip a"))
        XCTAssertNil(cache.read(key: "clip a", width: 16))
    }

    /// The real path on three RAVDESS clips: FFmpeg, Haar faces, DINOv2 at 112 px, the cache,
    /// and a few epochs of the full-size (22 x 384) head.
    func testRealClipsAreEmbeddedCachedReusedAndLearned() throws {
        let data = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/ravdess-video")
        let models = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/models")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("MANIFEST.csv").path),
              FileManager.default.fileExists(atPath: models.appendingPathComponent(DINOv2Encoder.weightsFileName).path) else {
            throw XCTSkip("../shared/data/ravdess-video or ../shared/models absent")
        }
        let all = try VideoDataset.entries(folder: data)
        // Three clips, three actors, three emotions.
        let picked = ["01-01-01-01-01-01-01.mp4", "01-01-04-01-01-01-05.mp4", "01-01-08-01-01-01-03.mp4"]
        let entries = all.filter { picked.contains($0.file) }
        XCTAssertEqual(entries.count, 3)
        let cacheFolder = try temporaryFolder()
        let settings = VideoHeadSettings(inputSize: 112)
        BLASThreads.set(2)

        var start = Date()
        let first = try VideoDataset.load(entries: entries, encoderDirectory: models, settings: settings,
                                          cacheDirectory: cacheFolder)
        let embedSeconds = Date().timeIntervalSince(start)
        XCTAssertEqual(first.computed, 3)
        XCTAssertEqual(first.cacheHits, 0)
        XCTAssertEqual(first.clips.count, 3, "skipped: \(first.skipped)")
        let files = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)
        XCTAssertEqual(files.filter { $0.hasSuffix(".safetensors") }.count, 3)
        for clip in first.clips {
            XCTAssertEqual(clip.matrix.count, 22 * 384)
            XCTAssertGreaterThan(clip.facesFound, 15, clip.entry.file)
            XCTAssertTrue(clip.matrix.allSatisfy { $0.isFinite })
        }

        start = Date()
        let second = try VideoDataset.load(entries: entries, encoderDirectory: models, settings: settings,
                                           cacheDirectory: cacheFolder)
        let cachedSeconds = Date().timeIntervalSince(start)
        XCTAssertEqual(second.computed, 0)
        XCTAssertEqual(second.cacheHits, 3)
        XCTAssertEqual(second.clips.map(\.matrix), first.clips.map(\.matrix))
        XCTAssertEqual(second.digest, first.digest)
        XCTAssertLessThan(cachedSeconds, embedSeconds / 5)

        // Other settings are another key: nothing reused.
        var patchMean = settings
        patchMean.pooling = .patchMean
        let cacheKeysBefore = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).count
        _ = try VideoDataset.load(entries: Array(entries.prefix(1)), encoderDirectory: models, settings: patchMean,
                                  cacheDirectory: cacheFolder)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).count, cacheKeysBefore + 1)

        start = Date()
        let (head, history) = try VideoTrainer(recipe: .init(epochs: 6, batchSize: 3, learningRate: 3e-4)).train(on: second)
        let trainSeconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(history.last!.loss, history.first!.loss, "\(history.map(\.loss))")
        XCTAssertEqual(head.geometry, .init(frames: 22, embeddingWidth: 384))
        print(String(format: "video real path (debug): embed 3 clips %.1f s, cached %.2f s, 6 epochs %.1f s, loss %@",
                     embedSeconds, cachedSeconds, trainSeconds, history.map { String(format: "%.3f", $0.loss) }.joined(separator: " ")))
    }
}
