import Foundation
import XCTest
@testable import Media

/// The real RAVDESS audio-visual clips in ../shared/data/ravdess-video (not committed; the
/// tests skip when the folder is absent). MANIFEST.csv states each clip's size, duration and
/// whether it has audio; 01-01-08-02-01-01-19.mp4 is the one without.
final class RAVDESSClipTests: XCTestCase {
    struct Entry {
        let file: String
        let duration: Double
        let width: Int
        let height: Int
        let hasAudio: Bool
    }

    private func manifest() throws -> [Entry] {
        let url = MediaFixtures.ravdessDirectory.appendingPathComponent("MANIFEST.csv")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("RAVDESS clips not present at \(MediaFixtures.ravdessDirectory.path)")
        }
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func column(_ name: String) throws -> Int { try XCTUnwrap(header.firstIndex(of: name), "no column \(name)") }
        let (file, duration, width, height, audio) = (try column("file"), try column("duration_s"), try column("width"),
                                                      try column("height"), try column("has_audio"))
        return try lines.dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Entry(file: fields[file], duration: try XCTUnwrap(Double(fields[duration])),
                         width: try XCTUnwrap(Int(fields[width])), height: try XCTUnwrap(Int(fields[height])),
                         hasAudio: fields[audio] == "true")
        }
    }

    func testEveryClipGivesTwentyTwoFramesAndItsAudio() throws {
        let entries = try manifest()
        XCTAssertEqual(entries.count, 13)
        XCTAssertEqual(entries.filter { !$0.hasAudio }.map(\.file), ["01-01-08-02-01-01-19.mp4"])
        let decoder = ClipDecoder()
        for entry in entries {
            let data = try Data(contentsOf: MediaFixtures.ravdessDirectory.appendingPathComponent(entry.file))
            let clip = try decoder.decode(data)
            XCTAssertEqual(clip.container, "mp4", entry.file)
            XCTAssertTrue(clip.hasVideoStream, entry.file)
            XCTAssertEqual(clip.durationSeconds, entry.duration, accuracy: 0.1, entry.file)
            XCTAssertEqual(clip.frames.count, 22, entry.file)
            // All are at most 640 wide: kept at their size.
            XCTAssertTrue(clip.frames.allSatisfy { $0.width == entry.width && $0.height == entry.height }, entry.file)
            let step = clip.frames.count > 1 ? (clip.frames[21].timestamp - clip.frames[0].timestamp) / 21 : 0
            XCTAssertEqual(step, entry.duration / 22, accuracy: 0.02, entry.file)
            if entry.hasAudio {
                let audio = try XCTUnwrap(clip.audio, entry.file)
                XCTAssertEqual(audio.sampleRate, 16_000)
                XCTAssertEqual(audio.durationSeconds, entry.duration, accuracy: 0.1, entry.file)
                XCTAssertEqual(Double(audio.samples.count) / 16_000, audio.durationSeconds, accuracy: 0.02, entry.file)
                // Speech is there: not silence, not clipped garbage. These clips are quiet
                // (ffmpeg volumedetect: mean -45 to -61 dB, peaks -25 to -39 dB), and speech is
                // bursty: the loudest 250 ms window is far louder than the quietest.
                let rms = MediaFixtures.rms(audio.samples[...])
                XCTAssertGreaterThan(rms, 0.0003, entry.file)
                XCTAssertLessThan(rms, 0.5, entry.file)
                XCTAssertGreaterThan(audio.samples.map(abs).max() ?? 0, 0.005, entry.file)
                let windows = stride(from: 0, to: audio.samples.count - 4_000, by: 4_000).map {
                    MediaFixtures.rms(audio.samples[$0..<$0 + 4_000])
                }
                XCTAssertGreaterThan(windows.max()!, 4 * windows.min()!, entry.file)
            } else {
                XCTAssertNil(clip.audio, entry.file)
            }
        }
    }

    func testFaceRegionIsNotBlank() throws {
        let entries = try manifest()
        let entry = try XCTUnwrap(entries.first)
        let data = try Data(contentsOf: MediaFixtures.ravdessDirectory.appendingPathComponent(entry.file))
        let frame = try ClipDecoder().decode(data).frames[11]
        // RAVDESS: actor in front of a white wall. The centre of the frame has texture.
        let gray = frame.gray()
        let centre = (frame.height / 3..<2 * frame.height / 3).flatMap { y in
            (frame.width / 3..<2 * frame.width / 3).map { x in Double(gray[y * frame.width + x]) }
        }
        let mean = centre.reduce(0, +) / Double(centre.count)
        let variance = centre.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(centre.count)
        XCTAssertGreaterThan(variance.squareRoot(), 10)
    }
}
