import Foundation
import XCTest
@testable import Media

/// Loads the committed fixtures (made by scripts/make_media_fixtures.sh) and the RAVDESS clips.
enum MediaFixtures {
    static func bytes(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil),
                                "missing fixture \(name)", file: file, line: line)
        return [UInt8](try Data(contentsOf: url))
    }

    /// ../shared/data/ravdess-video relative to the package root (CC BY-NC-SA, not committed).
    static var ravdessDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/data/ravdess-video").standardizedFileURL
    }

    /// Frequency estimated from zero crossings (a pure tone crosses zero twice per period).
    static func dominantFrequency(_ samples: ArraySlice<Float>, sampleRate: Int) -> Double {
        var crossings = 0
        var previous = samples.first ?? 0
        for sample in samples.dropFirst() {
            if (previous < 0) != (sample < 0) { crossings += 1 }
            previous = sample
        }
        return Double(crossings) / 2 / (Double(samples.count) / Double(sampleRate))
    }

    static func rms(_ samples: ArraySlice<Float>) -> Float {
        guard !samples.isEmpty else { return 0 }
        return (samples.reduce(0) { $0 + $1 * $1 } / Float(samples.count)).squareRoot()
    }
}

/// Asserts that `body` throws a `MediaError` with `code`.
func XCTAssertMediaError<T>(_ code: MediaError.Code, _ body: @autoclosure () throws -> T,
                            file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected \(code.rawValue), got a result", file: file, line: line)
    } catch let error as MediaError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
    } catch {
        XCTFail("expected MediaError \(code.rawValue), got \(error)", file: file, line: line)
    }
}
