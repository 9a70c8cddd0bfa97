import Foundation
import XCTest
@testable import Vision

final class FaceDetectorTests: XCTestCase {
    func testBogusCascadePathIsATypedNotFoundError() {
        let path = "/nonexistent/emotiond/haarcascade_frontalface_default.xml"
        XCTAssertThrowsError(try FaceDetector(configuration: .init(cascadePath: path))) { error in
            XCTAssertEqual(error as? VisionError, .cascadeNotFound(searched: [path]))
        }
    }

    func testDefaultSearchFindsTheDebianCascade() throws {
        let path = try HaarCascadeLocator.locate()
        XCTAssertTrue(path.hasSuffix(HaarCascadeLocator.fileName))
        XCTAssertEqual(try FaceDetector().cascadePath, path)
    }

    func testAFileThatIsNotACascadeIsRejected() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("not-a-cascade-\(UUID().uuidString).xml")
        try Data("<?xml version=\"1.0\"?><opencv_storage></opencv_storage>".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try FaceDetector(configuration: .init(cascadePath: url.path))) { error in
            XCTAssertEqual(error as? VisionError, .cascadeUnreadable(path: url.path))
        }
    }

    func testOutOfRangeSettingsAreRejected() {
        XCTAssertThrowsError(try FaceDetector(configuration: .init(scaleFactor: 1.0)))
        XCTAssertThrowsError(try FaceDetector(configuration: .init(minNeighbors: -1)))
    }

    func testMismatchedPixelCountsAreTypedErrors() {
        XCTAssertThrowsError(try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 0, count: 47)))
        XCTAssertThrowsError(try GrayImage(width: 0, height: 4, pixels: []))
        XCTAssertThrowsError(try GrayImage(width: -3, height: -4, pixels: [UInt8](repeating: 0, count: 12)))
    }

    func testFindsOnePlausibleFaceOnARealRGBFrame() throws {
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let faces = try FaceDetector().detect(in: frame)
        XCTAssertEqual(faces.count, 1, "\(faces)")
        let face = try XCTUnwrap(faces.first)
        assertPlausible(face, in: frame.width, frame.height)
    }

    func testFindsOnePlausibleFaceOnARealGrayFrame() throws {
        let frame = try NetpbmReader.gray("ravdess-a04-surprised.pgm")
        let faces = try FaceDetector().detect(inGray: frame)
        XCTAssertEqual(faces.count, 1, "\(faces)")
        assertPlausible(try XCTUnwrap(faces.first), in: frame.width, frame.height)
    }

    func testDownscaledDetectionAgreesWithFullResolution() throws {
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        // The fixture is 320x180: detecting on a 160-pixel copy must land on the same face.
        let full = try XCTUnwrap(FaceDetector(configuration: .init(detectionLongestSide: 0)).detect(in: frame).first)
        let half = try XCTUnwrap(FaceDetector(configuration: .init(detectionLongestSide: 160)).detect(in: frame).first)
        XCTAssertEqual(Double(half.x + half.width / 2), Double(full.x + full.width / 2), accuracy: 8)
        XCTAssertEqual(Double(half.y + half.height / 2), Double(full.y + full.height / 2), accuracy: 8)
        XCTAssertEqual(Double(half.width), Double(full.width), accuracy: Double(full.width) * 0.2)
    }

    func testFollowingAFaceFindsTheSameBoxAsAFullSearch() throws {
        let frame = try NetpbmReader.gray("ravdess-a04-surprised.pgm")
        let detector = try FaceDetector()
        let full = try XCTUnwrap(detector.detect(inGray: frame).first)
        // Start from a slightly displaced guess, as the previous frame of a clip would give.
        let guess = FaceBox(x: full.x + 6, y: full.y - 4, width: full.width + 6, height: full.height + 6)
        let tracked = try XCTUnwrap(detector.detect(inGray: frame, near: guess))
        XCTAssertEqual(Double(tracked.x + tracked.width / 2), Double(full.x + full.width / 2), accuracy: 6)
        XCTAssertEqual(Double(tracked.y + tracked.height / 2), Double(full.y + full.height / 2), accuracy: 6)
        XCTAssertEqual(Double(tracked.width), Double(full.width), accuracy: Double(full.width) * 0.15)
        // Nothing near a guess in the wall area (top-left corner), and a degenerate guess is fine.
        XCTAssertNil(try detector.detect(inGray: frame, near: FaceBox(x: 0, y: 0, width: 30, height: 30)))
        XCTAssertNil(try detector.detect(inGray: frame, near: FaceBox(x: 0, y: 0, width: 0, height: 0)))
    }

    func testTinyAndExtremeFramesGiveNoFaceAndNoCrash() throws {
        let detector = try FaceDetector()
        let cropper = try FaceCropper(detector: detector)
        for (w, h) in [(1, 1), (2, 3), (23, 23), (4000, 2), (3, 1500)] {
            let frame = try RGBImage(width: w, height: h, pixels: [UInt8](repeating: 200, count: w * h * 3))
            XCTAssertEqual(try detector.detect(in: frame), [], "\(w)x\(h)")
            XCTAssertEqual(try cropper.crops(frames: [frame, frame]).facesFound, 0)
        }
    }

    func testNoFaceOnAFlatGrayFrame() throws {
        let flat = try RGBImage(width: 640, height: 360, pixels: [UInt8](repeating: 128, count: 640 * 360 * 3))
        XCTAssertEqual(try FaceDetector().detect(in: flat), [])
    }

    func testNoFaceOnASyntheticTestPattern() throws {
        // Colour bars over a checkerboard and a gradient: edges everywhere, no face.
        let width = 640, height = 360
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let bars: [(UInt8, UInt8, UInt8)] = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
                                             (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                if y < height / 2 {
                    let bar = bars[x * bars.count / width]
                    (pixels[i], pixels[i + 1], pixels[i + 2]) = bar
                } else if y < height * 3 / 4 {
                    let v: UInt8 = ((x / 16) + (y / 16)) % 2 == 0 ? 230 : 20
                    (pixels[i], pixels[i + 1], pixels[i + 2]) = (v, v, v)
                } else {
                    let v = UInt8(x * 255 / (width - 1))
                    (pixels[i], pixels[i + 1], pixels[i + 2]) = (v, 255 - v, v / 2)
                }
            }
        }
        XCTAssertEqual(try FaceDetector().detect(in: RGBImage(width: width, height: height, pixels: pixels)), [])
    }

    func testFacesAreFoundOnAlmostEveryRavdessFrame() throws {
        let root = RavdessFrames.sharedRoot.appendingPathComponent("data/ravdess-faces")
        guard let clips = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            throw XCTSkip("\(root.path) absent")
        }
        let detector = try FaceDetector()
        var frames = 0, found = 0
        for clip in clips.sorted() where clip.hasPrefix("01-") {
            let pattern = root.appendingPathComponent(clip).appendingPathComponent("frame_%02d.jpg")
            let images = try RavdessFrames.decode(pattern, width: 320, height: 180)
            XCTAssertEqual(images.count, 8, clip)
            for image in images {
                frames += 1
                if let face = try detector.detect(in: image).first {
                    found += 1
                    assertPlausible(face, in: image.width, image.height)
                }
            }
        }
        XCTAssertEqual(frames, 88)
        // Every frame shows a frontal face on a white background.
        XCTAssertGreaterThanOrEqual(found, 86, "faces on \(found) of \(frames) frames")
    }

    /// RAVDESS frames: a centred face about 100 px tall in 320x180 (scaled for larger frames).
    private func assertPlausible(_ face: FaceBox, in width: Int, _ height: Int,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThanOrEqual(face.x, 0, file: file, line: line)
        XCTAssertGreaterThanOrEqual(face.y, 0, file: file, line: line)
        XCTAssertLessThanOrEqual(face.x + face.width, width, file: file, line: line)
        XCTAssertLessThanOrEqual(face.y + face.height, height, file: file, line: line)
        let scale = Double(height) / 180
        XCTAssertGreaterThan(Double(face.width), 45 * scale, "\(face)", file: file, line: line)
        XCTAssertLessThan(Double(face.width), 150 * scale, "\(face)", file: file, line: line)
        let centreX = Double(face.x) + Double(face.width) / 2
        XCTAssertEqual(centreX, Double(width) / 2, accuracy: Double(width) * 0.2, "\(face)", file: file, line: line)
    }
}
