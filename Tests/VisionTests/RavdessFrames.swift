import Foundation
import XCTest
@testable import Vision

/// Real RAVDESS material from ../shared/data, decoded with the ffmpeg CLI at test time.
/// Tests using it skip when the data or ffmpeg is absent.
enum RavdessFrames {
    /// /work/shared relative to the package root (this file is Tests/VisionTests/...).
    static var sharedRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }

    static func ffmpegPath() -> String? {
        ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Decodes `input` to raw RGB24 frames of the given size, optionally filtering with `-vf`.
    static func decode(_ input: URL, width: Int, height: Int, filter: String? = nil) throws -> [RGBImage] {
        // An image-sequence pattern (frame_%02d.jpg) is checked through its folder.
        let probe = input.path.contains("%") ? input.deletingLastPathComponent() : input
        guard FileManager.default.fileExists(atPath: probe.path) else {
            throw XCTSkip("\(input.path) absent")
        }
        guard let ffmpeg = ffmpegPath() else { throw XCTSkip("ffmpeg CLI absent") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        var arguments = ["-v", "error", "-i", input.path]
        if let filter { arguments += ["-vf", filter] }
        arguments += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("ffmpeg failed on \(input.path)") }
        let frameBytes = width * height * 3
        let bytes = [UInt8](data)
        return try stride(from: 0, to: bytes.count - frameBytes + 1, by: frameBytes).map {
            try RGBImage(width: width, height: height, pixels: Array(bytes[$0..<$0 + frameBytes]))
        }
    }
}
