import Foundation
import Fusion
import Media
import Pipeline

/// What one worker thread owns: its classifier and decoders (rebuilt when the limits change).
final class ClipWorkerContext {
    let classifier: ClipClassifier
    private var decoders: (limits: DecodeLimits, full: ClipDecoder, audio: ClipDecoder, video: ClipDecoder)?

    init(classifier: ClipClassifier) { self.classifier = classifier }

    func classify(_ job: ClipJob, limits: DecodeLimits, frameCount: Int, maxFrameSide: Int) throws -> EmotionEvent {
        if decoders?.limits != limits {
            func make(audio: Bool, video: Bool) -> ClipDecoder {
                ClipDecoder(limits: limits, options: DecodeOptions(videoFrameCount: frameCount, maxFrameSide: maxFrameSide,
                                                                   decodeAudio: audio, decodeVideo: video))
            }
            decoders = (limits, make(audio: true, video: true), make(audio: true, video: false), make(audio: false, video: true))
        }
        let d = decoders!
        var timer = StageTimer()
        func decode(_ part: AcceptedClip) throws -> DecodedClip {
            let decoder = part.kind == .clip ? d.full : part.kind == .audio ? d.audio : d.video
            do { return try decoder.decode(part.payload) } catch let error as MediaError {
                let what = part.kind == .clip ? "" : "\(part.kind.rawValue) chunk: "
                throw PipelineError(code: error.code.rawValue, message: what + error.message)
            }
        }
        let clip: DecodedClip
        if job.parts.count == 1 {
            clip = try decode(job.parts[0])
        } else {
            let audio = try job.part(.audio).map(decode)
            let video = try job.part(.video).map(decode)
            clip = DecodedClip(
                container: [audio?.container, video?.container].compactMap { $0 }.joined(separator: "+"),
                durationSeconds: max(audio?.durationSeconds ?? 0, video?.durationSeconds ?? 0),
                audio: audio?.audio, frames: video?.frames ?? [], hasVideoStream: video?.hasVideoStream ?? false)
        }
        timer.lap("decode")
        return try classifier.classify(clip, device: job.device, clipID: job.clipID, capturedAt: job.capturedAt, timer: timer)
    }
}
