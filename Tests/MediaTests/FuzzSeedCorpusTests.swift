import Foundation
import XCTest
@testable import Media

/// Runs what the fuzz harness (fuzz/DecodeFuzzer.swift) runs on every committed seed, without
/// libFuzzer: the pipeline's decoder over each file of fuzz/seeds and each fixture, and over
/// the first 64 kB of each sample clip, as fuzz/run.sh seeds them. Each must return a clip or
/// throw a `MediaError`; a crash or another error type fails the suite. This keeps the seeds
/// decodable by CI and turns every input the fuzzer ever crashed on (kept in fuzz/seeds) into
/// a regression test.
final class FuzzSeedCorpusTests: XCTestCase {
    /// What `ClipClassifier` builds from `ClassifierConfiguration()`, as the harness does.
    let decoder = ClipDecoder(limits: .default, options: DecodeOptions(videoFrameCount: 22, maxFrameSide: 640))

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension != "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func testEveryFuzzSeedDecodesOrFailsTyped() throws {
        let seeds = try Self.files(in: Self.packageRoot.appendingPathComponent("fuzz/seeds"))
        XCTAssertFalse(seeds.isEmpty, "fuzz/seeds is empty")
        for url in seeds { try assertDecodesOrFailsTyped([UInt8](Data(contentsOf: url)), url.lastPathComponent) }
    }

    func testEveryFixtureAndSampleHeadDecodesOrFailsTyped() throws {
        let fixtures = try Self.files(in: XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)))
        for url in fixtures { try assertDecodesOrFailsTyped([UInt8](Data(contentsOf: url)), url.lastPathComponent) }
        let samples = try Self.files(in: Self.packageRoot.appendingPathComponent("samples"))
        XCTAssertFalse(samples.isEmpty)
        for url in samples {
            try assertDecodesOrFailsTyped(Array([UInt8](Data(contentsOf: url)).prefix(65_536)), "head of \(url.lastPathComponent)")
        }
    }

    private func assertDecodesOrFailsTyped(_ bytes: [UInt8], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        do {
            let clip = try decoder.decode(bytes)
            XCTAssertLessThanOrEqual(clip.frames.count, 22, name, file: file, line: line)
            for frame in clip.frames {
                XCTAssertLessThanOrEqual(max(frame.width, frame.height), 640, name, file: file, line: line)
                XCTAssertEqual(frame.rgb.count, frame.width * frame.height * 3, name, file: file, line: line)
            }
        } catch is MediaError {
            // The expected answer to a hostile or truncated seed.
        } catch {
            XCTFail("\(name): \(error) is not a MediaError", file: file, line: line)
        }
    }
}
