import CFFmpeg
import Foundation
import XCTest
@testable import Media

/// Timestamps are payload data: a Matroska cluster time is any 64-bit value, so differences of
/// two timestamps and `pts + duration` can overflow Int64. Before the fix these trapped
/// ("arithmetic overflow" in `StreamTiming.durationSeconds`) in checked builds, and wrapped to
/// a wrong duration in -Ounchecked ones. Inputs: fuzz/make_regression_inputs.py.
final class TimestampOverflowTests: XCTestCase {
    let decoder = ClipDecoder()

    func testMatroskaClusterTimeNearInt64MaxIsTooLong() throws {
        let bytes = try MediaFixtures.bytes("fuzz_mkv_cluster_time_int64_max.mkv")
        XCTAssertMediaError(.tooLong, try decoder.decode(bytes))
    }

    func testMatroskaClusterTimeNearInt64MinIsTooLong() throws {
        let bytes = try MediaFixtures.bytes("fuzz_mkv_cluster_time_int64_min.mkv")
        XCTAssertMediaError(.tooLong, try decoder.decode(bytes))
    }

    func testStreamTimingSaturatesInsteadOfOverflowing() throws {
        var timing = StreamTiming()
        timing.timeBase = AVRational(num: 1, den: 1000)
        let packet = try Packet()
        packet.pointer.pointee.pts = Int64.min + 1  // Int64.min itself is AV_NOPTS_VALUE
        timing.record(packet.pointer.pointee)
        packet.pointer.pointee.pts = Int64.max - 10
        packet.pointer.pointee.duration = 40
        timing.record(packet.pointer.pointee)
        XCTAssertEqual(timing.first, Int64.min + 1)
        XCTAssertEqual(timing.end, Int64.max)
        XCTAssertEqual(timing.packetCount, 2)
        XCTAssertEqual(timing.durationSeconds, 18_446_744_073_709_551.615, accuracy: 1e4)
    }

    func testSecondsBetweenTimestampsOfOppositeExtremes() {
        let ms = AVRational(num: 1, den: 1000)
        XCTAssertEqual(LibAV.seconds(from: 1_000, to: 3_500, ms), 2.5)
        XCTAssertEqual(LibAV.seconds(from: Int64.max, to: Int64.min + 1, ms), -Double(UInt64.max) / 1000, accuracy: 1e4)
        XCTAssertEqual(LibAV.seconds(from: 0, to: 10, AVRational(num: 1, den: 0)), 0)
    }

    func testMemoryReaderRefusesASeekThatOverflows() {
        let reader = MemoryReader([UInt8](repeating: 1, count: 100))
        XCTAssertEqual(reader.seek(offset: 60, whence: SEEK_SET), 60)
        XCTAssertLessThan(reader.seek(offset: Int64.max, whence: SEEK_CUR), 0)
        XCTAssertLessThan(reader.seek(offset: Int64.max - 50, whence: SEEK_END), 0)
        XCTAssertEqual(reader.seek(offset: -10, whence: SEEK_END), 90)
    }
}
