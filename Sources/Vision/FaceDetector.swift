import Foundation

/// Finds frontal faces with OpenCV's Haar cascade (haarcascade_frontalface_default.xml), the
/// detector the paper and fer use.
///
/// Detection runs on a copy of the frame shrunk so its longest side is at most
/// `Configuration.detectionLongestSide` (pixel-area averaging), then the boxes are scaled back to
/// the frame. Faces in a clip fill a good part of the frame, so this loses nothing that matters
/// and makes a 640x360 frame about four times cheaper.
///
/// Determinism: with OpenCV's thread pool larger than 1, raw hits are gathered in a varying
/// order and grouped boxes can differ by a pixel or so between runs; with
/// `setOpenCVThreadCount(1)` (right for one worker per core) results are repeatable.
///
/// Thread safety: a detector may be shared; calls to `detect` are serialised by a lock because
/// OpenCV's classifier keeps per-call scratch state. Give each worker its own detector to detect
/// in parallel.
public final class FaceDetector: @unchecked Sendable {
    /// Detection settings. Defaults follow fer (scale factor 1.1, 5 neighbours).
    public struct Configuration: Sendable, Equatable {
        /// Cascade XML file. nil searches `HaarCascadeLocator.standardDirectories`. Default nil.
        public var cascadePath: String?
        /// Frames are shrunk so their longest side is at most this many pixels before detection;
        /// 0 disables shrinking. Default 320.
        public var detectionLongestSide: Int
        /// Step between pyramid levels, > 1. Larger is faster but may miss faces. Default 1.1.
        public var scaleFactor: Double
        /// Overlapping raw hits a face needs; higher means fewer false positives. Default 5.
        public var minNeighbors: Int
        /// Smallest face side, in pixels of the shrunken detection image. The cascade's own
        /// window is 24, so smaller values change nothing. Default 24.
        public var minFaceSize: Int
        /// Equalise the histogram before detecting (helps dim frames). Default false, as fer.
        public var equalizeHistogram: Bool
        /// Side of the search window around the previous face when following a face through a
        /// clip, in multiples of that face's side (see `detect(inGray:near:)`). Default 1.6.
        public var trackingWindow: Double
        /// When following a face, the search window is resampled so the previous face is about
        /// this many pixels wide (never upsampled). Smaller is faster, larger gives finer boxes.
        /// Default 32.
        public var trackingFaceSide: Int

        public init(cascadePath: String? = nil, detectionLongestSide: Int = 320,
                    scaleFactor: Double = 1.1, minNeighbors: Int = 5, minFaceSize: Int = 24,
                    equalizeHistogram: Bool = false, trackingWindow: Double = 1.6,
                    trackingFaceSide: Int = 32) {
            self.cascadePath = cascadePath
            self.detectionLongestSide = detectionLongestSide
            self.scaleFactor = scaleFactor
            self.minNeighbors = minNeighbors
            self.minFaceSize = minFaceSize
            self.equalizeHistogram = equalizeHistogram
            self.trackingWindow = trackingWindow
            self.trackingFaceSide = trackingFaceSide
        }
    }

    /// The settings this detector was made with.
    public let configuration: Configuration
    /// The cascade file that was loaded.
    public let cascadePath: String
    private let cascade: CascadeHandle
    private let lock = NSLock()

    /// Loads the cascade.
    ///
    /// - Throws: `VisionError.cascadeNotFound` / `.cascadeUnreadable` if the cascade cannot be
    ///   loaded, `.invalidConfiguration` for out-of-range settings.
    public init(configuration: Configuration = Configuration()) throws {
        guard configuration.scaleFactor > 1, configuration.scaleFactor.isFinite else {
            throw VisionError.invalidConfiguration("scaleFactor must be > 1, got \(configuration.scaleFactor)")
        }
        guard configuration.minNeighbors >= 0, configuration.minFaceSize >= 0,
              configuration.detectionLongestSide >= 0,
              configuration.trackingWindow >= 1, configuration.trackingWindow <= 8,
              configuration.trackingFaceSide >= 24, configuration.trackingFaceSide <= 512 else {
            throw VisionError.invalidConfiguration("minNeighbors, minFaceSize and detectionLongestSide must be >= 0, trackingWindow in 1...8, trackingFaceSide in 24...512")
        }
        self.configuration = configuration
        self.cascadePath = try HaarCascadeLocator.locate(configuredPath: configuration.cascadePath)
        self.cascade = try CascadeHandle(path: cascadePath)
    }

    /// Faces in an RGB frame, in frame coordinates, largest first.
    public func detect(in frame: RGBImage) throws -> [FaceBox] {
        try detect(inGray: OpenCVBridge.gray(of: frame))
    }

    /// Faces in a grayscale frame, in frame coordinates, largest first.
    public func detect(inGray frame: GrayImage) throws -> [FaceBox] {
        let longest = max(frame.width, frame.height)
        let limit = configuration.detectionLongestSide
        let scale = limit > 0 && longest > limit ? Double(limit) / Double(longest) : 1
        let whole = FaceBox(x: 0, y: 0, width: frame.width, height: frame.height)
        return try detect(in: frame, region: whole, scale: scale,
                          minSize: configuration.minFaceSize, maxSize: 0)
    }

    /// The face near `previous` (the face found in an earlier frame of the same clip), or nil.
    ///
    /// Frames of a short clip show the same head in nearly the same place, so this searches only
    /// a window `Configuration.trackingWindow` times the previous face's side, scaled so that face
    /// is about `Configuration.trackingFaceSide` pixels: a handful of small pyramid levels instead
    /// of a whole frame. Sizes from 0.85 to 1.2 times the previous face are tried first, then,
    /// if that finds nothing, 0.7 to 1.45 times. Why two steps: OpenCV's cost grows with the
    /// number of pyramid levels (each level runs the cascade over a window that is mostly face,
    /// so most positions go deep into it), and a head rarely changes size by more than 15 %
    /// between two of the 22 sampled frames, so the narrow search (4 levels instead of 8) nearly
    /// always suffices. Returns nil when both find nothing; the caller then runs a full `detect`.
    public func detect(inGray frame: GrayImage, near previous: FaceBox) throws -> FaceBox? {
        let side = max(previous.width, previous.height)
        guard side > 0 else { return nil }
        let window = Int((Double(side) * configuration.trackingWindow).rounded())
        let centreX = previous.x + previous.width / 2, centreY = previous.y + previous.height / 2
        let x0 = max(0, centreX - window / 2), y0 = max(0, centreY - window / 2)
        let x1 = min(frame.width, centreX + window / 2), y1 = min(frame.height, centreY + window / 2)
        guard x1 - x0 >= side / 2, y1 - y0 >= side / 2 else { return nil }
        let region = FaceBox(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        // Searched in the window resampled so the previous face is `trackingFaceSide` pixels
        // (never upsampled: a small face is searched at its own size).
        let scale = min(1, Double(configuration.trackingFaceSide) / Double(side))
        let faceSide = Double(side) * scale
        var detectionImage: GrayImage?
        for (smallest, largest) in [(0.85, 1.2), (0.7, 1.45)] {
            let minSize = max(24, Int((faceSide * smallest).rounded(.down)))
            let maxSize = Int((faceSide * largest).rounded(.up))
            guard minSize <= maxSize else { continue }
            if detectionImage == nil { detectionImage = try resample(frame, region: region, scale: scale) }
            if let face = try detect(in: detectionImage!, of: frame, region: region, minSize: minSize, maxSize: maxSize).first {
                return face
            }
        }
        return nil
    }

    /// Sets OpenCV's internal thread count for the whole process (see cocv_set_num_threads).
    /// With one worker per core, 1 is right: the workers already use every core.
    public static func setOpenCVThreadCount(_ threads: Int) {
        OpenCVBridge.setThreadCount(threads)
    }

    /// Detects in `region` of `frame` resampled by `scale`, and maps the boxes back.
    private func detect(in frame: GrayImage, region: FaceBox, scale: Double, minSize: Int,
                        maxSize: Int) throws -> [FaceBox] {
        try detect(in: resample(frame, region: region, scale: scale), of: frame, region: region,
                   minSize: minSize, maxSize: maxSize)
    }

    /// `region` of `frame` resampled by `scale` (pixel-area averaging), or `frame` itself when
    /// that is the identity.
    private func resample(_ frame: GrayImage, region: FaceBox, scale: Double) throws -> GrayImage {
        guard scale != 1 || region.width != frame.width || region.height != frame.height else { return frame }
        let width = max(1, Int((Double(region.width) * scale).rounded()))
        let height = max(1, Int((Double(region.height) * scale).rounded()))
        let pixels = try OpenCVBridge.cropResize(
            pixels: frame.pixels, width: frame.width, height: frame.height, channels: 1,
            region: region, outputWidth: width, outputHeight: height, interpolation: .area)
        return try GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Runs the cascade on `detectionImage` (`region` of `frame`, resampled) and maps the boxes
    /// back to `frame`, largest first.
    private func detect(in detectionImage: GrayImage, of frame: GrayImage, region: FaceBox,
                        minSize: Int, maxSize: Int) throws -> [FaceBox] {
        let raw: [FaceBox] = try lock.withLock {
            try cascade.detect(gray: detectionImage, scaleFactor: configuration.scaleFactor,
                               minNeighbors: configuration.minNeighbors, minSize: minSize,
                               maxSize: maxSize, equalize: configuration.equalizeHistogram)
        }
        let sx = Double(region.width) / Double(detectionImage.width)
        let sy = Double(region.height) / Double(detectionImage.height)
        return raw.map { box in
            let x0 = region.x + Int((Double(box.x) * sx).rounded())
            let y0 = region.y + Int((Double(box.y) * sy).rounded())
            let x1 = min(frame.width, region.x + Int((Double(box.x + box.width) * sx).rounded()))
            let y1 = min(frame.height, region.y + Int((Double(box.y + box.height) * sy).rounded()))
            return FaceBox(x: x0, y: y0, width: max(1, x1 - x0), height: max(1, y1 - y0))
        }.sorted { $0.area > $1.area }
    }
}
