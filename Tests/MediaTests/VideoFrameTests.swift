import CFFmpeg
import XCTest
@testable import Media

final class VideoFrameTests: XCTestCase {
    func testGrayUsesBT601Weights() {
        let pixels: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [10, 200, 90]]
        let frame = VideoFrame(width: 3, height: 2, rgb: pixels.flatMap { $0 }, timestamp: 0)
        let expected = pixels.map { p in 0.299 * Double(p[0]) + 0.587 * Double(p[1]) + 0.114 * Double(p[2]) }
        for (got, want) in zip(frame.gray(), expected) {
            XCTAssertEqual(Double(got), want, accuracy: 1.0)
        }
        XCTAssertEqual(frame.gray().count, 6)
    }

    func testOutputSizeNeverUpscalesAndKeepsAspect() {
        func size(_ w: Int32, _ h: Int32, sar: (Int32, Int32) = (1, 1), max: Int = 640) -> (Int, Int) {
            var frame = AVFrame()
            frame.width = w
            frame.height = h
            frame.sample_aspect_ratio = AVRational(num: sar.0, den: sar.1)
            return VideoFrameSampler.outputSize(frame, maxSide: max)
        }
        XCTAssertTrue(size(320, 240) == (320, 240))
        XCTAssertTrue(size(1920, 1080) == (640, 360))
        XCTAssertTrue(size(1080, 1920) == (360, 640))
        XCTAssertTrue(size(641, 641) == (640, 640))
        // Anamorphic 720x576 with 16:15 pixels shows as 768x576 wide: shrink height instead of stretching.
        XCTAssertTrue(size(720, 576, sar: (16, 15), max: 1000) == (720, 540))
    }
}
