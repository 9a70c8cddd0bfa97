import Foundation
import Fusion
import Media
import Models
import NN
import Pipeline

/// ``ClipProcessing`` over the Pipeline module: decodes each job with FFmpeg and classifies it
/// with a `ClipClassifier`, on dedicated worker threads (one `ClipClassifier` per thread, since
/// it is not thread-safe).
///
/// Jobs:
/// - a `/clip` is decoded whole (audio and video) and classified;
/// - `/audio` and `/video` chunks of one clip are decoded separately (the audio chunk for its
///   audio track only, the video chunk for its frames only), merged into one `DecodedClip` and
///   classified together, so late fusion sees both modalities exactly as for a whole clip;
/// - a chunk released alone by the pairing window is classified with its own modality.
///
/// Errors are `PipelineError`s (a ``CodedError``) whose `code` is the media or pipeline code (`truncated_or_corrupt`,
/// `no_usable_signal`, ...): they become the `code` of the `errors` event.
public final class PipelineClipProcessor: ClipProcessing, @unchecked Sendable {
    private let pool: ClassifierThreadPool<ClipWorkerContext>
    private let lock = NSLock()
    // Guarded by `lock`: the decode limits in force (intake keys are reloadable).
    private var limits: DecodeLimits
    private let frameCount: Int
    private let maxFrameSide: Int

    /// Loads one classifier per worker (models, face detector) and starts the threads.
    ///
    /// - Throws: ``ConfigError`` naming `models.audio`, `models.facial` or `models.cascade`
    ///   when a file cannot be loaded (exit 78 in `serve`).
    public init(configuration: DaemonConfiguration) throws {
        let classifierConfiguration = try Self.classifierConfiguration(configuration)
        let count = configuration.workers.effectiveCount
        // Parallelism comes from the workers; OpenBLAS threads would fight them (DESIGN section 8).
        if count > 1 { BLASThreads.set(1) }
        let contexts = try (0..<count).map { _ in ClipWorkerContext(classifier: try Self.loadClassifier(classifierConfiguration)) }
        limits = Self.decodeLimits(configuration.intake)
        frameCount = classifierConfiguration.frameCount
        maxFrameSide = classifierConfiguration.maxFrameSide
        pool = ClassifierThreadPool(contexts: contexts, name: "emotiond-worker")
    }

    deinit { pool.stop() }

    /// The Pipeline settings for a daemon configuration: the configured model files. The facial
    /// model is a weights file whose graph sidecar (`fer_mini_xception.json`) sits next to it;
    /// a symlink (as `make install` creates for `facial.safetensors`) is followed first.
    public static func classifierConfiguration(_ configuration: DaemonConfiguration) throws -> ClassifierConfiguration {
        let facial = URL(fileURLWithPath: configuration.models.facial).resolvingSymlinksInPath()
        guard facial.lastPathComponent == MiniXceptionModel.weightsFileName else {
            throw ConfigError(key: "models.facial", kind: .invalidValue,
                              message: "must be (or link to) a file named \(MiniXceptionModel.weightsFileName) with \(MiniXceptionModel.graphFileName) beside it, got \(configuration.models.facial)")
        }
        return ClassifierConfiguration(
            audioModelPath: configuration.models.audio,
            facialModelDirectory: facial.deletingLastPathComponent().path,
            cascadePath: configuration.models.cascade,
            limits: decodeLimits(configuration.intake))
    }

    /// Loads the models and the face detector once, as `serve` will (what `emotiond config
    /// check` uses to catch a corrupt or mismatched model file before a start).
    ///
    /// - Throws: ``ConfigError`` naming the model key.
    public static func verifyModels(_ configuration: DaemonConfiguration) throws {
        _ = try loadClassifier(try classifierConfiguration(configuration))
    }

    private static func loadClassifier(_ c: ClassifierConfiguration) throws -> ClipClassifier {
        do { return try ClipClassifier(configuration: c) } catch let error as PipelineError where error.code == "setup" {
            throw ConfigError(key: modelKey(for: error.message, c), kind: .invalidValue, message: error.message)
        }
    }

    /// Which configuration key a Pipeline set-up message is about: the one whose file it names
    /// (the audio file is checked first, since the facial directory may contain it).
    static func modelKey(for message: String, _ c: ClassifierConfiguration) -> String {
        if let audio = c.audioModelPath, message.contains(URL(fileURLWithPath: audio).path) || message.hasPrefix("audio model") {
            return "models.audio"
        }
        if message.hasPrefix("face detector") || (c.cascadePath.map { message.contains($0) } ?? false) { return "models.cascade" }
        return "models.facial"
    }

    /// Decoder limits from the intake keys.
    static func decodeLimits(_ intake: DaemonConfiguration.Intake) -> DecodeLimits {
        var limits = DecodeLimits.default
        limits.maxBytes = intake.maxPayloadBytes
        limits.maxDurationSeconds = intake.maxDurationS
        limits.maxWidth = intake.maxResolution.width
        limits.maxHeight = intake.maxResolution.height
        limits.maxPixels = intake.maxResolution.width * intake.maxResolution.height
        return limits
    }

    /// Applies reloaded intake limits to the next decodes (SIGHUP).
    public func update(intake: DaemonConfiguration.Intake) {
        let new = Self.decodeLimits(intake)
        lock.withLock { limits = new }
    }

    public func process(_ job: ClipJob) async throws -> EmotionEvent {
        let limits = lock.withLock { self.limits }
        let (frameCount, maxFrameSide) = (self.frameCount, self.maxFrameSide)
        return try await pool.run { context in
            try context.classify(job, limits: limits, frameCount: frameCount, maxFrameSide: maxFrameSide)
        }
    }

    /// Stops the worker threads once the queued jobs are done.
    public func shutdown() { pool.stop() }
}

extension PipelineError: CodedError {}
