import Foundation
import Fusion
import XCTest
@testable import Store

/// `StatsQuery` over real files written by `AggregateStore`, and its output formats.
final class StatsQueryTests: XCTestCase {
    private var dir: TempDirectory!
    private var fileA: String!
    private var fileB: String!
    private var all: [StoredResult] = []

    /// Two instances' files: both saw cam1 (different clips, overlapping hours), only B saw cam2.
    override func setUpWithError() throws {
        dir = try TempDirectory()
        fileA = dir.path("a.sqlite")
        fileB = dir.path("b.sqlite")
        let a = StoreFixtures.series(device: "cam1", count: 120, seed: 1)
        let b = StoreFixtures.series(device: "cam1", count: 80, spacing: 53, seed: 2) + StoreFixtures.series(device: "cam2", count: 40, seed: 3)
        try AggregateStore(path: fileA).record(batch: a)
        let storeB = try AggregateStore(path: fileB)
        try storeB.record(batch: b)
        try storeB.recordError(device: "cam1", code: "decode-failed", at: StoreFixtures.origin)
        all = a + b
    }

    override func tearDown() { dir = nil }

    private func expectedCounts(device: String, bucket: BucketSize) -> [Int64: [Int]] {
        var out: [Int64: [Int]] = [:]
        for r in all where r.device == device {
            out[bucket.start(of: r.capturedAt), default: Array(repeating: 0, count: 8)][r.emotion.index] += 1
        }
        return out
    }

    func testMergesTwoFilesBySummingPerDeviceAndBucket() throws {
        for bucket in BucketSize.allCases {
            let rows = try StatsQuery(files: [fileA, fileB], bucket: bucket).run()
            for device in ["cam1", "cam2"] {
                let expected = expectedCounts(device: device, bucket: bucket)
                let got = Dictionary(uniqueKeysWithValues: rows.filter { $0.device == device && $0.clips > 0 }
                    .map { (Int64($0.bucketStart.timeIntervalSince1970), $0.emotionCounts) })
                XCTAssertEqual(got, expected, "\(device) \(bucket)")
            }
            XCTAssertEqual(rows.map(\.clips).reduce(0, +), 240)
            XCTAssertEqual(rows.map(\.errors).reduce(0, +), 1)
            // No duplicate (device, bucket) keys after merging.
            XCTAssertEqual(Set(rows.map { "\($0.device)|\($0.bucketStart)" }).count, rows.count)
        }
        let hourly = try StatsQuery(files: [fileA, fileB], devices: ["cam1"], bucket: .hour).run()
        let first = try XCTUnwrap(hourly.first)
        let aOnly = try StatsQuery(files: [fileA], devices: ["cam1"], bucket: .hour).run().first!
        let bOnly = try StatsQuery(files: [fileB], devices: ["cam1"], bucket: .hour).run().first!
        XCTAssertEqual(first.clips, aOnly.clips + bOnly.clips)
        XCTAssertEqual(first.confidenceSum, aOnly.confidenceSum + bOnly.confidenceSum, accuracy: 1e-9)
        XCTAssertEqual(first.latencyMaxMS, max(aOnly.latencyMaxMS, bOnly.latencyMaxMS))
        XCTAssertEqual(first.shares.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(first.dominant.map { first.emotionCounts[$0.index] }, first.emotionCounts.max())
    }

    func testFiltersByDeviceAndSince() throws {
        let since = StoreFixtures.origin.addingTimeInterval(600)
        let rows = try StatsQuery(files: [fileA, fileB], devices: ["cam2"], since: since, bucket: .minute).run()
        XCTAssertFalse(rows.isEmpty)
        XCTAssertTrue(rows.allSatisfy { $0.device == "cam2" && $0.bucketStart >= since })
        let expected = all.filter { $0.device == "cam2" && $0.capturedAt >= since }.count
        XCTAssertEqual(rows.map(\.clips).reduce(0, +), expected)
        XCTAssertTrue(try StatsQuery(files: [fileA], devices: ["nobody"]).run().isEmpty)
    }

    func testReadsWhatALiveWriterHasCommitted() throws {
        let path = dir.path("live.sqlite")
        let writer = try AggregateStore(path: path)
        try writer.record(batch: StoreFixtures.series(device: "cam7", count: 10, seed: 9))
        XCTAssertEqual(try StatsQuery(files: [path], bucket: .day).run().map(\.clips).reduce(0, +), 10)
        try writer.record(batch: StoreFixtures.series(device: "cam7", count: 5, seed: 10))
        XCTAssertEqual(try StatsQuery(files: [path], bucket: .day).run().map(\.clips).reduce(0, +), 15)
        try writer.record(StoreFixtures.series(device: "cam7", count: 1, seed: 11)[0])  // writer still usable
        XCTAssertEqual(try writer.integrityCheck(), ["ok"])
    }

    func testMissingFileIsNotFound() {
        XCTAssertThrowsError(try StatsQuery(files: [dir.path("missing.sqlite")]).run()) {
            XCTAssertEqual(($0 as? StoreError)?.code, .notFound)
        }
    }

    func testJSONOutputParsesWithTheRightNumbers() throws {
        let rows = try StatsQuery(files: [fileA, fileB], bucket: .day).run()
        let text = try StatsFormatter.json(rows)
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        XCTAssertEqual(parsed.count, rows.count)
        for (object, row) in zip(parsed, rows) {
            XCTAssertEqual(object["device"] as? String, row.device)
            XCTAssertEqual(object["clips"] as? Int, row.clips)
            XCTAssertEqual(object["bucket"] as? String, "day")
            XCTAssertEqual(object["bucket_start"] as? String, RFC3339.string(from: row.bucketStart))
            let counts = try XCTUnwrap(object["counts"] as? [String: Int])
            for e in Emotion.allCases { XCTAssertEqual(counts[e.rawValue], row.emotionCounts[e.index]) }
            let shares = try XCTUnwrap(object["shares"] as? [String: Double])
            XCTAssertEqual(shares.values.reduce(0, +), row.clips > 0 ? 1 : 0, accuracy: 1e-9)
            XCTAssertEqual(object["dominant"] as? String, row.dominant?.rawValue)
            XCTAssertEqual(try XCTUnwrap(object["mean_confidence"] as? Double), try XCTUnwrap(row.meanConfidence), accuracy: 1e-9)
        }
    }

    func testCSVHasAHeaderAndOneLinePerRowWithMatchingCounts() throws {
        let rows = try StatsQuery(files: [fileA, fileB], bucket: .hour).run()
        let lines = StatsFormatter.csv(rows).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, rows.count + 1)
        let header = lines[0].split(separator: ",").map(String.init)
        XCTAssertEqual(header.count, 6 + 8 + 8 + 5)
        let clipsColumn = try XCTUnwrap(header.firstIndex(of: "clips"))
        let angryColumn = try XCTUnwrap(header.firstIndex(of: "n_angry"))
        for (line, row) in zip(lines.dropFirst(), rows) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, header.count)
            XCTAssertEqual(fields[0], row.device)
            XCTAssertEqual(Int(fields[clipsColumn]), row.clips)
            XCTAssertEqual(Int(fields[angryColumn]), row.emotionCounts[Emotion.angry.index])
        }
        XCTAssertEqual(StatsFormatter.quote("a,\"b\""), "\"a,\"\"b\"\"\"")
    }

    func testTableIsAlignedAndShowsCounts() throws {
        let rows = try StatsQuery(files: [fileA, fileB], bucket: .day).run()
        let lines = StatsFormatter.table(rows).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, rows.count + 1)
        XCTAssertTrue(lines[0].hasPrefix("device"))
        XCTAssertEqual(Set(lines.map(\.count)).count, 1, "all lines have the same width:\n\(lines.joined(separator: "\n"))")
        for (line, row) in zip(lines.dropFirst(), rows) {
            let cells = line.split(separator: " ").map(String.init)
            XCTAssertEqual(cells[0], row.device)
            XCTAssertTrue(cells.contains("\(row.clips)"))
            XCTAssertTrue(cells.contains(row.dominant?.rawValue ?? "-"))
        }
    }
}
