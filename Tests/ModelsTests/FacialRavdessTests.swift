import Foundation
import Fusion
import Vision
import XCTest
@testable import Models

/// Face crops from real RAVDESS frames through mini-XCEPTION: the whole facial path.
final class FacialRavdessTests: XCTestCase {
    func testRealRavdessClipsGiveSaneVideoPredictions() throws {
        let root = FacialModelPaths.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/ravdess-faces")
        guard let clips = try? FileManager.default.contentsOfDirectory(atPath: root.path),
              let ffmpeg = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("RAVDESS frames or ffmpeg absent")
        }
        let model = try MiniXceptionModel(directory: FacialModelPaths.shippedModels)
        FaceDetector.setOpenCVThreadCount(1)  // repeatable boxes, as the daemon runs it
        let cropper = try FaceCropper(detector: FaceDetector())
        var correct = 0, total = 0, framesCorrect = 0, framesSeen = 0
        for clip in clips.sorted() where clip.hasPrefix("01-") {
            let frames = try decode(root.appendingPathComponent(clip).appendingPathComponent("frame_%02d.jpg").path, ffmpeg: ffmpeg)
            let (crops, found) = try cropper.crops(frames: frames)
            XCTAssertGreaterThanOrEqual(found, 7, clip)
            let faces = crops.compactMap { $0 }
            // One forward pass per clip (debug builds are slow): frame scores and their mean.
            let perFrame = try model.predict(crops: faces)
            XCTAssertEqual(perFrame.count, found)
            var mean = [Float](repeating: 0, count: 7)
            for probabilities in perFrame {
                for i in 0..<7 { mean[i] += probabilities[i] / Float(perFrame.count) }
            }
            let prediction = ModalityPrediction(modality: .video, probabilities: model.to8(mean),
                                                supported: model.supportedMask, modelID: model.modelID)
            XCTAssertEqual(prediction.probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertEqual(prediction.probabilities[Emotion.calm.index], 0)
            let truth = Emotion(ravdessID: Int(clip.split(separator: "-")[2])!)!
            total += 1
            if prediction.emotion == truth { correct += 1 }
            for probabilities in perFrame {
                framesSeen += 1
                if FERClass(rawValue: argmax(probabilities))!.emotion == truth { framesCorrect += 1 }
            }
            if truth == .neutral { XCTAssertEqual(prediction.emotion, .neutral, clip) }
            let top = prediction.probabilities.enumerated().sorted { $0.element > $1.element }.prefix(3)
                .map { "\(Emotion(index: $0.offset)!.rawValue) \(String(format: "%.2f", $0.element))" }
            print("\(clip) truth \(truth.rawValue): \(top.joined(separator: ", "))")
        }
        print("mini-XCEPTION on RAVDESS frames: \(correct)/\(total) clips correct")
        XCTAssertEqual(total, 11)
        print("mini-XCEPTION on RAVDESS frames: \(framesCorrect)/\(framesSeen) frames correct")
        // FER2013 -> RAVDESS transfers poorly (posed faces, 320x180 frames, no calm). Measured:
        // 3 of 11 clips (both neutral clips and one sad) and 25-30 of 88 frames, where chance is
        // about 13 frames. Clip-level argmax flips on near-ties (OpenCV's threaded detection can
        // group boxes slightly differently between runs), so the pin is on frames. This checks
        // that the path works end to end; it is not an accuracy claim.
        XCTAssertGreaterThanOrEqual(framesCorrect, 20)
    }

    private func decode(_ pattern: String, ffmpeg: String) throws -> [RGBImage] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-v", "error", "-i", pattern, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let bytes = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        let size = 320 * 180 * 3
        return try stride(from: 0, to: bytes.count - size + 1, by: size).map {
            try RGBImage(width: 320, height: 180, pixels: Array(bytes[$0..<$0 + size]))
        }
    }
}
