import COpenCV

/// The only Swift file that calls COpenCV: turns its return codes into `VisionError`s.
enum OpenCVBridge {
    /// BT.601 luma of a packed RGB24 image (cv::COLOR_RGB2GRAY).
    static func gray(of image: RGBImage) throws -> GrayImage {
        var gray = [UInt8](repeating: 0, count: image.width * image.height)
        let status = image.pixels.withUnsafeBufferPointer { rgb in
            gray.withUnsafeMutableBufferPointer { out in
                cocv_rgb_to_gray(rgb.baseAddress, Int32(image.width), Int32(image.height),
                                 Int32(image.width * 3), out.baseAddress)
            }
        }
        try check(status, "cvtColor")
        return try GrayImage(width: image.width, height: image.height, pixels: gray)
    }

    /// Crops `region` (which may reach outside the image; the outside reads as black) from an
    /// interleaved 8-bit image and resizes it to `outputWidth x outputHeight`.
    static func cropResize(
        pixels: [UInt8], width: Int, height: Int, channels: Int, region: FaceBox,
        outputWidth: Int, outputHeight: Int, interpolation: ResizeInterpolation
    ) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outputWidth * outputHeight * channels)
        let mode: Int32
        switch interpolation {
        case .automatic: mode = Int32(COCV_INTERP_AUTO)
        case .bilinear: mode = Int32(COCV_INTERP_LINEAR)
        case .area: mode = Int32(COCV_INTERP_AREA)
        }
        let rect = cocv_rect(x: Int32(clamping: region.x), y: Int32(clamping: region.y),
                             width: Int32(clamping: region.width),
                             height: Int32(clamping: region.height))
        let status = pixels.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                cocv_crop_resize(src.baseAddress, Int32(width), Int32(height),
                                 Int32(width * channels), Int32(channels), rect, dst.baseAddress,
                                 Int32(outputWidth), Int32(outputHeight), mode)
            }
        }
        try check(status, "resize")
        return output
    }

    static func setThreadCount(_ threads: Int) {
        cocv_set_num_threads(Int32(clamping: threads))
    }

    static func check(_ status: Int32, _ operation: String) throws {
        guard status >= 0 else { throw VisionError.openCVFailure(operation: operation, code: status) }
    }
}

/// Owns one loaded cv::CascadeClassifier. OpenCV keeps scratch state in the classifier, so
/// callers serialise detection (FaceDetector holds a lock around `detect`).
final class CascadeHandle {
    private let pointer: OpaquePointer

    init(path: String) throws {
        guard let pointer = cocv_cascade_load(path) else {
            throw VisionError.cascadeUnreadable(path: path)
        }
        self.pointer = pointer
    }

    deinit { cocv_cascade_free(pointer) }

    /// Raw detectMultiScale boxes in the coordinates of `gray`.
    func detect(gray: GrayImage, scaleFactor: Double, minNeighbors: Int, minSize: Int,
                maxSize: Int, equalize: Bool) throws -> [FaceBox] {
        let capacity = 64
        var boxes = [cocv_rect](repeating: cocv_rect(), count: capacity)
        let found = gray.pixels.withUnsafeBufferPointer { src in
            boxes.withUnsafeMutableBufferPointer { out in
                cocv_detect_faces(pointer, src.baseAddress, Int32(gray.width), Int32(gray.height),
                                  Int32(gray.width), scaleFactor, Int32(clamping: minNeighbors),
                                  Int32(clamping: minSize), Int32(clamping: maxSize),
                                  equalize ? 1 : 0, out.baseAddress, Int32(capacity))
            }
        }
        try OpenCVBridge.check(found, "detectMultiScale")
        return boxes.prefix(min(Int(found), capacity)).map {
            FaceBox(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height))
        }
    }
}
