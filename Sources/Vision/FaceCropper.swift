/// Cuts the main face out of frames, ready for a facial-expression model.
///
/// The box follows fer: the largest detected face, made square around its centre, then widened
/// by `Configuration.margin` so the chin and brows are kept. A box reaching past the frame edge
/// is filled with black, as fer pads its frames. The square is resized to the model's input size:
/// 64x64 gray for mini-XCEPTION, 48x48 gray for the paper's head, 224 or 112 RGB for DINOv2.
public struct FaceCropper: Sendable {
    /// Crop settings.
    public struct Configuration: Sendable, Equatable {
        /// Side of the output crop in pixels. Default 64 (mini-XCEPTION's input).
        public var outputSize: Int
        /// Fraction of the face side added to the square in total (half on each side).
        /// Default 0.1, i.e. 5 % per side, close to fer's fixed 10-pixel widening at its typical
        /// face sizes.
        public var margin: Double
        /// Resampling of the box to `outputSize`. Default `.bilinear`, what fer does.
        public var interpolation: ResizeInterpolation

        public init(outputSize: Int = 64, margin: Double = 0.1,
                    interpolation: ResizeInterpolation = .bilinear) {
            self.outputSize = outputSize
            self.margin = margin
            self.interpolation = interpolation
        }
    }

    /// The detector used for every frame.
    public let detector: FaceDetector
    /// The crop settings.
    public let configuration: Configuration

    /// - Throws: `VisionError.invalidConfiguration` for a non-positive size or a negative margin.
    public init(detector: FaceDetector, configuration: Configuration = Configuration()) throws {
        guard configuration.outputSize > 0, configuration.outputSize <= 4096 else {
            throw VisionError.invalidConfiguration("outputSize must be in 1...4096, got \(configuration.outputSize)")
        }
        guard configuration.margin >= 0, configuration.margin <= 4, configuration.margin.isFinite else {
            throw VisionError.invalidConfiguration("margin must be in 0...4, got \(configuration.margin)")
        }
        self.detector = detector
        self.configuration = configuration
    }

    /// The square crop box for a detected face: centred on it, side `max(w, h) * (1 + margin)`.
    /// It may extend beyond the frame.
    public func cropBox(for face: FaceBox) -> FaceBox {
        let side = Double(max(face.width, face.height)) * (1 + configuration.margin)
        let centreX = Double(face.x) + Double(face.width) / 2
        let centreY = Double(face.y) + Double(face.height) / 2
        let s = max(1, Int(side.rounded()))
        return FaceBox(x: Int((centreX - Double(s) / 2).rounded(.down)),
                       y: Int((centreY - Double(s) / 2).rounded(.down)), width: s, height: s)
    }

    /// The box of the largest face in `frame`, or nil when none is found.
    public func mainFace(in frame: RGBImage) throws -> FaceBox? {
        try detector.detect(in: frame).first
    }

    /// A gray `outputSize` square of the largest face, or nil when the frame has no face.
    public func grayCrop(of frame: RGBImage) throws -> GrayImage? {
        let gray = try OpenCVBridge.gray(of: frame)
        guard let face = try detector.detect(inGray: gray).first else { return nil }
        return try grayCrop(of: gray, box: cropBox(for: face))
    }

    /// An RGB `size` square of the largest face (DINOv2 takes 224 or 112), or nil when none.
    public func rgbCrop(of frame: RGBImage, size: Int) throws -> RGBImage? {
        guard size > 0, size <= 4096 else {
            throw VisionError.invalidConfiguration("RGB crop size must be in 1...4096, got \(size)")
        }
        guard let face = try detector.detect(in: frame).first else { return nil }
        let pixels = try OpenCVBridge.cropResize(
            pixels: frame.pixels, width: frame.width, height: frame.height, channels: 3,
            region: cropBox(for: face), outputWidth: size, outputHeight: size,
            interpolation: configuration.interpolation)
        return try RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Gray crops for every frame of a clip, in frame order: nil where no face was found.
    /// `facesFound` counts the frames that had a face (reported as `faces_found` per clip).
    /// Faces are followed from frame to frame as `mainFaces(in:)` describes.
    public func crops(frames: [RGBImage]) throws -> (crops: [GrayImage?], facesFound: Int) {
        var crops: [GrayImage?] = []
        crops.reserveCapacity(frames.count)
        var found = 0
        try followFaces(in: frames) { _, gray, face in
            guard let face else { return crops.append(nil) }
            found += 1
            crops.append(try grayCrop(of: gray, box: cropBox(for: face)))
        }
        return (crops, found)
    }

    /// RGB `size` squares of the main face of every frame (for DINOv2: 224 or 112), in frame
    /// order, nil where no face was found; `facesFound` counts the frames with a face.
    public func rgbCrops(frames: [RGBImage], size: Int) throws -> (crops: [RGBImage?], facesFound: Int) {
        guard size > 0, size <= 4096 else {
            throw VisionError.invalidConfiguration("RGB crop size must be in 1...4096, got \(size)")
        }
        var crops: [RGBImage?] = []
        crops.reserveCapacity(frames.count)
        var found = 0
        try followFaces(in: frames) { frame, _, face in
            guard let face else { return crops.append(nil) }
            found += 1
            let pixels = try OpenCVBridge.cropResize(
                pixels: frame.pixels, width: frame.width, height: frame.height, channels: 3,
                region: cropBox(for: face), outputWidth: size, outputHeight: size,
                interpolation: configuration.interpolation)
            crops.append(try RGBImage(width: size, height: size, pixels: pixels))
        }
        return (crops, found)
    }

    /// The main face of every frame of a clip (nil where none), in frame coordinates.
    ///
    /// After the first face, each frame is searched near the previous face first
    /// (`FaceDetector.detect(inGray:near:)`), several times cheaper than a full search; a frame
    /// where that fails gets the full search. So a clip follows one person.
    public func mainFaces(in frames: [RGBImage]) throws -> [FaceBox?] {
        var faces: [FaceBox?] = []
        try followFaces(in: frames) { _, _, face in faces.append(face) }
        return faces
    }

    /// Calls `body` with each frame, its gray version and its main face (or nil), in order.
    private func followFaces(in frames: [RGBImage],
                             _ body: (RGBImage, GrayImage, FaceBox?) throws -> Void) throws {
        var previous: (face: FaceBox, width: Int, height: Int)?
        for frame in frames {
            let gray = try OpenCVBridge.gray(of: frame)
            var face: FaceBox?
            if let last = previous, last.width == frame.width, last.height == frame.height {
                face = try detector.detect(inGray: gray, near: last.face)
            }
            if face == nil { face = try detector.detect(inGray: gray).first }
            if let face { previous = (face, frame.width, frame.height) }
            try body(frame, gray, face)
        }
    }

    private func grayCrop(of gray: GrayImage, box: FaceBox) throws -> GrayImage {
        let side = configuration.outputSize
        let pixels = try OpenCVBridge.cropResize(
            pixels: gray.pixels, width: gray.width, height: gray.height, channels: 1, region: box,
            outputWidth: side, outputHeight: side, interpolation: configuration.interpolation)
        return try GrayImage(width: side, height: side, pixels: pixels)
    }
}
