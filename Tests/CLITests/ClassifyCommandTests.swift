import Foundation
import Fusion
import XCTest

/// `emotiond classify` as a user runs it: the real binary, real files, exit status and output.
final class ClassifyCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    func emotiond(_ arguments: [String]) throws -> Run {
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("models/audio-emotion.safetensors").path) else {
            throw XCTSkip("models/audio-emotion.safetensors is not trained yet")
        }
        // The binary is built into the same .build/<triple>/<config>/ folder as the tests.
        let bundle = Bundle(for: Self.self).bundleURL
        let binary = try XCTUnwrap([bundle, bundle.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("emotiond") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }, "emotiond binary not found near \(bundle.path)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testClassifiesFlacWavMp3AndMp4() throws {
        let files = ["03-01-05-02-01-01-01.flac", "03-01-03-02-01-01-02.wav", "03-01-04-02-01-01-05.mp3", "01-01-07-02-02-01-01.mp4"]
        let run = try emotiond(["classify"] + files.map { "samples/\($0)" })
        XCTAssertEqual(run.status, 0, run.stderr)
        for f in files { XCTAssertTrue(run.stdout.contains("samples/\(f): "), "no result line for \(f):\n\(run.stdout)") }
        XCTAssertTrue(run.stdout.contains("faces in 22/22 frames"), run.stdout)
    }

    func testJSONLinesFollowTheEventSchema() throws {
        let run = try emotiond(["classify", "--json", "samples/01-01-08-02-01-01-19.mp4", "samples/03-01-05-02-01-01-01.flac"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let events = try lines.map { try EmotionEvent.makeDecoder().decode(EmotionEvent.self, from: Data($0.utf8)) }
        XCTAssertEqual(events[0].fusion.modalitiesUsed, [.video])
        XCTAssertEqual(events[1].fusion.modalitiesUsed, [.audio])
    }

    func testBadFilesAreNamedAndTheOthersStillClassified() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let mp4 = try Data(contentsOf: Self.root.appendingPathComponent("samples/01-01-07-02-02-01-01.mp4"))
        let truncated = dir.appendingPathComponent("truncated.mp4")
        try mp4.prefix(3000).write(to: truncated)
        let text = dir.appendingPathComponent("notes.txt")
        try Data("this is not media\n".utf8).write(to: text)

        let run = try emotiond(["classify", truncated.path, "samples/03-01-05-02-01-01-01.flac", text.path])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("\(truncated.path): truncated_or_corrupt"), run.stderr)
        XCTAssertTrue(run.stderr.contains("\(text.path): unsupported_container"), run.stderr)
        XCTAssertTrue(run.stdout.contains("samples/03-01-05-02-01-01-01.flac: "), "the good file is still classified")
    }

    func testMissingModelIsAClearSetupError() throws {
        let run = try emotiond(["classify", "--audio-model", "/nonexistent.safetensors", "samples/03-01-05-02-01-01-01.flac"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("/nonexistent.safetensors"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr)
    }
}
