import Foundation
import XCTest
@testable import Vision

final class FaceCropperTests: XCTestCase {
    func testCropBoxIsASquareAroundTheFaceWidenedByTheMargin() throws {
        let cropper = try FaceCropper(detector: FaceDetector(), configuration: .init(margin: 0.1))
        let box = cropper.cropBox(for: FaceBox(x: 100, y: 50, width: 100, height: 80))
        XCTAssertEqual(box.width, 110)
        XCTAssertEqual(box.height, 110)
        XCTAssertEqual(Double(box.x) + 55, 150, accuracy: 1)
        XCTAssertEqual(Double(box.y) + 55, 90, accuracy: 1)
    }

    func testGrayCropsHaveTheRequestedSizeAndShowTheFace() throws {
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let detector = try FaceDetector()
        for size in [48, 64] {
            let cropper = try FaceCropper(detector: detector, configuration: .init(outputSize: size))
            let crop = try XCTUnwrap(cropper.grayCrop(of: frame))
            XCTAssertEqual(crop.width, size)
            XCTAssertEqual(crop.height, size)
            // The frame is a face on a white wall: the crop must be mostly face, i.e. darker
            // than the wall and with real contrast (eyes, brows, mouth).
            let mean = crop.pixels.reduce(0) { $0 + Int($1) } / crop.pixels.count
            XCTAssertLessThan(mean, 200)
            XCTAssertGreaterThan(Int(crop.pixels.max()!) - Int(crop.pixels.min()!), 80)
        }
    }

    func testRGBCropsForDINOv2() throws {
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let cropper = try FaceCropper(detector: FaceDetector())
        for size in [112, 224] {
            let crop = try XCTUnwrap(cropper.rgbCrop(of: frame, size: size))
            XCTAssertEqual(crop.width, size)
            XCTAssertEqual(crop.pixels.count, size * size * 3)
        }
        XCTAssertThrowsError(try cropper.rgbCrop(of: frame, size: 0))
    }

    func testTheGrayCropMatchesCroppingTheGrayFrameDirectly() throws {
        // The RGB path converts with BT.601 then crops; doing the same by hand must agree.
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let cropper = try FaceCropper(detector: FaceDetector())
        let crop = try XCTUnwrap(cropper.grayCrop(of: frame))
        let face = try XCTUnwrap(cropper.mainFace(in: frame))
        let gray = try OpenCVBridge.gray(of: frame)
        let expected = try OpenCVBridge.cropResize(
            pixels: gray.pixels, width: gray.width, height: gray.height, channels: 1,
            region: cropper.cropBox(for: face), outputWidth: 64, outputHeight: 64,
            interpolation: .bilinear)
        XCTAssertEqual(crop.pixels, expected)
        // BT.601 spot check on one pixel.
        let i = 90 * frame.width + 160
        let r = Double(frame.pixels[3 * i]), g = Double(frame.pixels[3 * i + 1]), b = Double(frame.pixels[3 * i + 2])
        XCTAssertEqual(Double(gray.pixels[i]), 0.299 * r + 0.587 * g + 0.114 * b, accuracy: 1)
    }

    func testBoxesPastTheFrameEdgeArePaddedWithBlack() throws {
        let white = [UInt8](repeating: 255, count: 20 * 10)
        // A 20x20 box over a 20x10 image: the lower half is outside and must read as black.
        let out = try OpenCVBridge.cropResize(
            pixels: white, width: 20, height: 10, channels: 1, region: FaceBox(x: 0, y: 0, width: 20, height: 20),
            outputWidth: 20, outputHeight: 20, interpolation: .bilinear)
        XCTAssertEqual(Array(out[0..<(20 * 9)]), [UInt8](repeating: 255, count: 20 * 9))
        XCTAssertEqual(Array(out[(20 * 11)...]), [UInt8](repeating: 0, count: 20 * 9))
        // Entirely outside: all black, no crash.
        let outside = try OpenCVBridge.cropResize(
            pixels: white, width: 20, height: 10, channels: 1, region: FaceBox(x: 500, y: -300, width: 8, height: 8),
            outputWidth: 4, outputHeight: 4, interpolation: .automatic)
        XCTAssertEqual(outside, [UInt8](repeating: 0, count: 16))
        XCTAssertThrowsError(try OpenCVBridge.cropResize(
            pixels: white, width: 20, height: 10, channels: 1, region: FaceBox(x: 0, y: 0, width: 0, height: 5),
            outputWidth: 4, outputHeight: 4, interpolation: .automatic))
    }

    func testClipWithoutFacesCountsZeroAndKeepsFrameOrder() throws {
        let frame = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let flat = try RGBImage(width: 320, height: 180, pixels: [UInt8](repeating: 90, count: 320 * 180 * 3))
        // Every frame searched (probe stride 1), so faces alternate as the frames do.
        let cropper = try FaceCropper(detector: FaceDetector(), configuration: .init(probeStride: 1))
        let result = try cropper.crops(frames: [flat, frame, flat, frame])
        XCTAssertEqual(result.facesFound, 2)
        XCTAssertEqual(result.crops.map { $0 != nil }, [false, true, false, true])
        XCTAssertEqual(try cropper.crops(frames: []).facesFound, 0)
        let rgb = try cropper.rgbCrops(frames: [frame, flat], size: 112)
        XCTAssertEqual(rgb.facesFound, 1)
        XCTAssertEqual(rgb.crops.first??.width, 112)
        XCTAssertNil(rgb.crops[1])
        XCTAssertEqual(try cropper.mainFaces(in: [flat, frame]).map { $0 != nil }, [false, true])
    }

    func testProbingFindsALaterFaceFollowsItBothWaysAndSkipsFacelessClips() throws {
        let face = try NetpbmReader.rgb("ravdess-a01-neutral.ppm")
        let flat = try RGBImage(width: 320, height: 180, pixels: [UInt8](repeating: 90, count: 320 * 180 * 3))
        let cropper = try FaceCropper(detector: FaceDetector())  // probe stride 4
        // A face from frame 5 on: probes 0 and 4 see nothing, probe 8 finds it, and following it
        // backward recovers frames 5 to 7.
        let later = try cropper.mainFaces(in: Array(repeating: flat, count: 5) + Array(repeating: face, count: 5))
        XCTAssertEqual(later.map { $0 != nil }, Array(repeating: false, count: 5) + Array(repeating: true, count: 5))
        // No face in any probe: faceless, even though frames 1 to 3 show one (shorter than the
        // probe stride: the documented trade-off).
        let brief = try cropper.crops(frames: [flat, face, face, face] + Array(repeating: flat, count: 6))
        XCTAssertEqual(brief.facesFound, 0)
        XCTAssertEqual(brief.crops.count, 10)
        XCTAssertThrowsError(try FaceCropper(detector: FaceDetector(), configuration: .init(probeStride: 0)))
    }

    func testTwentyTwoFramesOfARealClipAt640x360() throws {
        let clip = RavdessFrames.sharedRoot.appendingPathComponent("data/ravdess-video/01-01-08-01-01-01-04.mp4")
        let all = try RavdessFrames.decode(clip, width: 640, height: 360, filter: "scale=640:360")
        XCTAssertGreaterThan(all.count, 22)
        let frames = (0..<22).map { all[($0 * 2 + 1) * all.count / 44] }
        FaceDetector.setOpenCVThreadCount(1)  // as the daemon runs it: one worker per core
        let cropper = try FaceCropper(detector: FaceDetector())
        let start = Date()
        let result = try cropper.crops(frames: frames)
        let elapsed = Date().timeIntervalSince(start)
        print("FaceCropper: 22 frames of 640x360 in \(Int(elapsed * 1000)) ms, \(result.facesFound) faces")
        XCTAssertGreaterThanOrEqual(result.facesFound, 20)
        XCTAssertTrue(result.crops.compactMap { $0 }.allSatisfy { $0.width == 64 && $0.height == 64 })
        XCTAssertLessThan(elapsed, 2.0, "face cropping is far slower than intended")
    }
}
