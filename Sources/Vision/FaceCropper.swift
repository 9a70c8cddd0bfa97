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
        /// A clip's frames are first probed with a full search every `probeStride` frames;
        /// when no probe finds a face, the clip is taken as faceless (see `mainFaces(in:)`).
        /// 1 searches every frame. Default 4.
        public var probeStride: Int

        public init(outputSize: Int = 64, margin: Double = 0.1,
                    interpolation: ResizeInterpolation = .bilinear, probeStride: Int = 4) {
            self.outputSize = outputSize
            self.margin = margin
            self.interpolation = interpolation
            self.probeStride = probeStride
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
        guard configuration.probeStride >= 1 else {
            throw VisionError.invalidConfiguration("probeStride must be >= 1, got \(configuration.probeStride)")
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
        let (faces, grays) = try followFaces(in: frames)
        var crops: [GrayImage?] = []
        crops.reserveCapacity(frames.count)
        for i in frames.indices {
            // A frame with a face always has its gray version: it was searched.
            guard let face = faces[i], let gray = grays[i] else { crops.append(nil); continue }
            crops.append(try grayCrop(of: gray, box: cropBox(for: face)))
        }
        return (crops, faces.lazy.filter { $0 != nil }.count)
    }

    /// RGB `size` squares of the main face of every frame (for DINOv2: 224 or 112), in frame
    /// order, nil where no face was found; `facesFound` counts the frames with a face.
    public func rgbCrops(frames: [RGBImage], size: Int) throws -> (crops: [RGBImage?], facesFound: Int) {
        guard size > 0, size <= 4096 else {
            throw VisionError.invalidConfiguration("RGB crop size must be in 1...4096, got \(size)")
        }
        let faces = try followFaces(in: frames).faces
        var crops: [RGBImage?] = []
        crops.reserveCapacity(frames.count)
        for (frame, face) in zip(frames, faces) {
            guard let face else { crops.append(nil); continue }
            let pixels = try OpenCVBridge.cropResize(
                pixels: frame.pixels, width: frame.width, height: frame.height, channels: 3,
                region: cropBox(for: face), outputWidth: size, outputHeight: size,
                interpolation: configuration.interpolation)
            crops.append(try RGBImage(width: size, height: size, pixels: pixels))
        }
        return (crops, faces.lazy.filter { $0 != nil }.count)
    }

    /// The main face of every frame of a clip (nil where none), in frame coordinates.
    ///
    /// Cheapest first, because a full search of a frame is the most expensive step of the whole
    /// pipeline (about 25 ms for a 320-pixel detection image, far more on busy textures):
    /// 1. Probe: a full search on frames 0, `probeStride`, 2 x `probeStride`, ... until one shows
    ///    a face. When none does, the clip is taken as faceless and no other frame is searched:
    ///    a face visible in `probeStride` or more consecutive frames would have been seen, and a
    ///    shorter appearance (at most 3 of 22 frames with the defaults, 14 %) is below the share
    ///    of frames with a face the pipeline needs before it trusts the facial model (25 %).
    ///    Cameras watching an empty room send mostly such clips.
    /// 2. Follow: from that first face forward to the last frame, then backward to the first,
    ///    each frame is searched near its neighbour's face (`FaceDetector.detect(inGray:near:)`,
    ///    several times cheaper than a full search), with a full search only where that fails
    ///    (never twice on one frame). So a clip follows one person.
    public func mainFaces(in frames: [RGBImage]) throws -> [FaceBox?] {
        try followFaces(in: frames).faces
    }

    /// The faces of `mainFaces(in:)`, with the gray frames made on the way (nil where not needed).
    private func followFaces(in frames: [RGBImage]) throws -> (faces: [FaceBox?], grays: [GrayImage?]) {
        var grays = [GrayImage?](repeating: nil, count: frames.count)
        var searched = [Bool](repeating: false, count: frames.count)
        var faces = [FaceBox?](repeating: nil, count: frames.count)
        func gray(_ i: Int) throws -> GrayImage {
            if let g = grays[i] { return g }
            let g = try OpenCVBridge.gray(of: frames[i])
            grays[i] = g
            return g
        }
        func fullSearch(_ i: Int) throws -> FaceBox? {
            guard !searched[i] else { return faces[i] }
            searched[i] = true
            faces[i] = try detector.detect(inGray: gray(i)).first
            return faces[i]
        }
        guard let first = try stride(from: 0, to: frames.count, by: configuration.probeStride)
            .first(where: { try fullSearch($0) != nil }) else {
            return (faces, grays)
        }
        for order in [Array(first + 1 ..< frames.count), Array((0 ..< first).reversed())] {
            var previous = (face: faces[first]!, index: first)
            for i in order {
                var face: FaceBox?
                let neighbour = frames[previous.index]
                if neighbour.width == frames[i].width, neighbour.height == frames[i].height {
                    face = try detector.detect(inGray: gray(i), near: previous.face)
                }
                if face == nil { face = try fullSearch(i) }
                faces[i] = face
                if let face { previous = (face, i) }
            }
        }
        return (faces, grays)
    }

    private func grayCrop(of gray: GrayImage, box: FaceBox) throws -> GrayImage {
        let side = configuration.outputSize
        let pixels = try OpenCVBridge.cropResize(
            pixels: gray.pixels, width: gray.width, height: gray.height, channels: 1, region: box,
            outputWidth: side, outputHeight: side, interpolation: configuration.interpolation)
        return try GrayImage(width: side, height: side, pixels: pixels)
    }
}
