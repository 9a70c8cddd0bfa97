import Foundation
import Fusion
import Media
import Models
import NN
import Vision

/// A labelled video set as the paper's head sees it: per clip, the `[frames x 384]` matrix of
/// DINOv2 embeddings of its face crops.
///
/// Building a clip's matrix: FFmpeg decodes `settings.frames` evenly spaced RGB frames
/// (`ClipDecoder`), the Haar cascade finds the main face in each (`FaceCropper.rgbCrops`, which
/// follows one person through the clip), each face becomes an RGB square of
/// `settings.inputSize`, and `DINOv2Encoder.clipMatrix` embeds them in one batch; a frame
/// without a face takes the embedding of the nearest frame with one. Every matrix is cached on
/// disk (`VideoEmbeddingCache`), so only the first run pays for the encoder.
///
/// A clip in which no frame has a face, or with fewer frames than `settings.frames`, is left out
/// and listed in `skipped` (a face-less clip cannot teach a face model); a file that does not
/// decode is an error naming it (a training set must be clean).
public final class VideoDataset {
    /// One usable clip.
    public struct Clip: Sendable {
        public var entry: ManifestEntry
        /// `[frames x width]`, frame-major.
        public var matrix: [Float]
        /// Frames in which a face was found.
        public var facesFound: Int
    }

    /// The usable clips, in the order of the entries they come from.
    public let clips: [Clip]
    /// Clips left out, with the reason.
    public let skipped: [(file: String, reason: String)]
    /// How the matrices were computed.
    public let settings: VideoHeadSettings
    /// Digest of the clips' names, labels and the settings (stored as the model's training data hash).
    public let digest: String
    /// Clips whose matrix came from the cache, and clips that were computed.
    public let cacheHits: Int, computed: Int
    /// Wall time spent decoding, detecting faces and embedding (0 when all came from the cache).
    public let embeddingSeconds: Double

    init(clips: [Clip], skipped: [(file: String, reason: String)], settings: VideoHeadSettings, digest: String,
         cacheHits: Int, computed: Int, embeddingSeconds: Double) {
        self.clips = clips
        self.skipped = skipped
        self.settings = settings
        self.digest = digest
        self.cacheHits = cacheHits
        self.computed = computed
        self.embeddingSeconds = embeddingSeconds
    }

    /// Video file extensions looked for when a folder has no MANIFEST.csv.
    public static let videoExtensions: Set<String> = ["mp4", "mkv", "webm", "mov", "avi", "m4v"]

    // MARK: Labels

    /// The labelled clips of `folder`: from its MANIFEST.csv when there is one (columns `file`
    /// and `emotion`, see `Manifest`), otherwise from RAVDESS file names found in it and its
    /// subfolders (`MM-VC-EE-II-SS-RR-AA.mp4`: modality 01 full AV or 02 video-only, emotion
    /// `EE` 01...08, actor `AA`). Other files are ignored; audio-only RAVDESS files (`03-...`)
    /// are skipped.
    ///
    /// - Throws: `Manifest.Error` for a bad manifest or a folder without any usable clip.
    public static func entries(folder: URL) throws -> [ManifestEntry] {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("MANIFEST.csv").path) {
            return try Manifest.load(folder: folder)
        }
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw Manifest.Error(description: "\(folder.path): cannot list the folder")
        }
        let root = folder.standardizedFileURL.path
        var entries: [ManifestEntry] = []
        for case let url as URL in walker where videoExtensions.contains(url.pathExtension.lowercased()) {
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : url.lastPathComponent
            guard let (emotion, actor) = ravdessLabel(url.lastPathComponent) else { continue }
            entries.append(ManifestEntry(url: url, file: relative, emotion: emotion, actor: actor, fold: nil))
        }
        guard !entries.isEmpty else {
            throw Manifest.Error(description: "\(folder.path): no MANIFEST.csv and no RAVDESS-named video files (e.g. 01-01-05-01-01-01-12.mp4)")
        }
        return entries.sorted { $0.file < $1.file }
    }

    /// Emotion and actor from a RAVDESS video file name, nil for anything else (including the
    /// audio-only modality 03).
    static func ravdessLabel(_ name: String) -> (Emotion, Int)? {
        let fields = (name as NSString).deletingPathExtension.split(separator: "-").map { Int($0) }
        guard fields.count == 7, fields.allSatisfy({ $0 != nil }) else { return nil }
        guard let modality = fields[0], modality == 1 || modality == 2,
              let emotion = Emotion(ravdessID: fields[2]!), let actor = fields[6] else { return nil }
        return (emotion, actor)
    }

    // MARK: Building

    /// Embeds every clip of `folder` (see `entries(folder:)`).
    public static func load(
        folder: URL, encoderDirectory: URL, settings: VideoHeadSettings = VideoHeadSettings(),
        cacheDirectory: URL?, cascadePath: String? = nil, log: (String) -> Void = { _ in }
    ) throws -> VideoDataset {
        try load(entries: try entries(folder: folder), encoderDirectory: encoderDirectory, settings: settings,
                 cacheDirectory: cacheDirectory, cascadePath: cascadePath, log: log)
    }

    /// Embeds `entries`, reusing cached matrices. The encoder and the face detector are loaded
    /// only if some clip is not in the cache.
    ///
    /// - Throws: `Manifest.Error` naming the file for a clip that cannot be read or decoded;
    ///   model and vision errors if the encoder or cascade cannot be loaded;
    ///   `FacialModelError.invalidInput` for settings this encoder cannot produce.
    public static func load(
        entries: [ManifestEntry], encoderDirectory: URL, settings: VideoHeadSettings = VideoHeadSettings(),
        cacheDirectory: URL?, cascadePath: String? = nil, log: (String) -> Void = { _ in }
    ) throws -> VideoDataset {
        guard settings.encoder == VideoHeadSettings.dinov2Encoder, settings.embeddingWidth == DINOv2Encoder.width else {
            throw FacialModelError.invalidInput(
                "this build embeds with \(VideoHeadSettings.dinov2Encoder) (width \(DINOv2Encoder.width)), not \(settings.encoder) (width \(settings.embeddingWidth))")
        }
        guard settings.frames >= 10, settings.frames <= 256 else {
            throw FacialModelError.invalidInput("frames per clip must be in 10...256, got \(settings.frames)")
        }
        let weightsURL = encoderDirectory.appendingPathComponent(DINOv2Encoder.weightsFileName)
        let cropConfiguration = FaceCropper.Configuration(outputSize: settings.inputSize)
        let weightsStamp = fileStamp(weightsURL).map { "\($0.size):\($0.mtime)" } ?? "absent"
        let keyBase = ["video-embedding-v1", settings.summary, "weights \(weightsStamp)",
                       "crop margin \(cropConfiguration.margin) \(cropConfiguration.interpolation)",
                       "cascade \(cascadePath ?? "default")", "max side 640"].joined(separator: "|")
        let cache = cacheDirectory.map(VideoEmbeddingCache.init(directory:))

        var encoder: DINOv2Encoder?
        var cropper: FaceCropper?
        var options = DecodeOptions()
        options.decodeAudio = false
        options.videoFrameCount = settings.frames
        options.maxFrameSide = 640
        let decoder = ClipDecoder(options: options)

        var clips: [Clip] = []
        var skipped: [(file: String, reason: String)] = []
        var hits = 0, computed = 0
        let start = Date()
        for (i, entry) in entries.enumerated() {
            guard let stamp = fileStamp(entry.url) else {
                throw Manifest.Error(description: "\(entry.url.path): cannot read the file")
            }
            let key = keyBase + "|clip \(entry.file) \(stamp.size) \(stamp.mtime)"
            let cached = cache?.read(key: key, width: settings.embeddingWidth)
            let result: VideoEmbeddingCache.Entry
            if let cached {
                result = cached
                hits += 1
            } else {
                if encoder == nil {
                    encoder = try DINOv2Encoder(weightsURL: weightsURL, inputSize: settings.inputSize)
                    cropper = try FaceCropper(detector: FaceDetector(configuration: .init(cascadePath: cascadePath)),
                                              configuration: cropConfiguration)
                }
                result = try embed(entry, decoder: decoder, cropper: cropper!, encoder: encoder!, settings: settings)
                computed += 1
                if let cache {
                    do { try cache.write(result, key: key, width: settings.embeddingWidth) } catch {
                        log("embeddings: cannot write the cache (\(error)); continuing without it")
                    }
                }
                log(String(format: "embeddings: %d/%d %@  faces %d/%d  %.1f s", i + 1, entries.count, entry.file,
                           result.facesFound, settings.frames, Date().timeIntervalSince(start)))
            }
            if let matrix = result.matrix, matrix.count == settings.frames * settings.embeddingWidth {
                clips.append(Clip(entry: entry, matrix: matrix, facesFound: result.facesFound))
            } else if result.matrix == nil {
                skipped.append((entry.file, "no face in any of the \(settings.frames) frames"))
            } else {
                skipped.append((entry.file, "fewer than \(settings.frames) decodable frames"))
            }
        }
        let seconds = computed > 0 ? Date().timeIntervalSince(start) : 0
        log(String(format: "embeddings: %d clips (%d from cache, %d computed in %.1f s), %d skipped",
                   entries.count, hits, computed, seconds, skipped.count))
        for s in skipped { log("embeddings: skipped \(s.file): \(s.reason)") }
        let digest = FNV1a.hex((entries.map { "\($0.file),\($0.emotion.rawValue)" }.sorted() + [settings.summary])
            .joined(separator: "\n"))
        return VideoDataset(clips: clips, skipped: skipped, settings: settings, digest: digest,
                            cacheHits: hits, computed: computed, embeddingSeconds: seconds)
    }

    /// Decode, crop, embed one clip. A clip with fewer frames than asked gives a short matrix
    /// (reported as skipped by the caller).
    static func embed(_ entry: ManifestEntry, decoder: ClipDecoder, cropper: FaceCropper, encoder: DINOv2Encoder,
                      settings: VideoHeadSettings) throws -> VideoEmbeddingCache.Entry {
        let frames: [VideoFrame]
        do {
            frames = try decoder.decode(Data(contentsOf: entry.url)).frames
        } catch {
            throw Manifest.Error(description: "\(entry.url.path): \(error)")
        }
        guard !frames.isEmpty else { throw Manifest.Error(description: "\(entry.url.path): no video frames") }
        let images = try frames.map { try RGBImage(width: $0.width, height: $0.height, pixels: $0.rgb) }
        let (crops, found) = try cropper.rgbCrops(frames: images, size: settings.inputSize)
        let matrix = try encoder.clipMatrix(crops: crops, pooling: settings.pooling)
        return VideoEmbeddingCache.Entry(matrix: matrix, facesFound: found)
    }

    /// Size and modification time (seconds since 1970, to the microsecond) of a file: the cheap
    /// stand-in for a content hash in cache keys.
    static func fileStamp(_ url: URL) -> (size: Int, mtime: String)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = (attributes[.size] as? NSNumber)?.intValue else { return nil }
        let mtime = (attributes[.modificationDate] as? Date).map { String(format: "%.6f", $0.timeIntervalSince1970) } ?? "?"
        return (size, mtime)
    }
}
