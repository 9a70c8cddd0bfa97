import CFFmpeg

/// Picks N evenly spaced frames from a stream of decoded frames, converting only the picked
/// ones to RGB.
///
/// Targets are the centres of N equal slices of the video's measured span, so the first and
/// last frames (often black or mid-transition) are not over-represented. Frames arrive in
/// presentation order; for each target the sampler keeps whichever of the two frames around
/// it is nearer, holding one reference to the previous frame. A frame nearest to two targets
/// is returned once, and a clip with no more frames than targets yields all its frames.
final class VideoFrameSampler {
    private let targets: [Double]
    private let keepEveryFrame: Bool
    private let count: Int
    private let maxSide: Int
    private let scaler = RGBScaler()
    private let previous: Frame
    private var previousTime = 0.0
    private var previousSerial = -1
    private var nextTarget = 0
    private var lastEmittedSerial = -1
    private(set) var frames: [VideoFrame] = []

    /// - Parameters:
    ///   - count: how many frames to return at most.
    ///   - durationSeconds: measured span of the video stream.
    ///   - expectedFrames: shown packets counted while demuxing (about the frame count).
    ///   - maxSide: longest side of returned frames.
    init(count: Int, durationSeconds: Double, expectedFrames: Int, maxSide: Int) throws {
        self.count = count
        self.maxSide = maxSide
        keepEveryFrame = expectedFrames <= count || durationSeconds <= 0
        let step = durationSeconds / Double(max(count, 1))
        targets = (0..<count).map { (Double($0) + 0.5) * step }
        previous = try Frame()
    }

    /// The presentation timestamps of the packets whose frames will be kept, chosen exactly
    /// as ``offer(_:time:serial:)`` will choose (nearest frame per target, earlier on a tie),
    /// so the decoder may drop every other non-reference frame. `nil` when every frame is kept
    /// or some packet has no timestamp (then nothing may be dropped).
    func timestampsToKeep(_ timestamps: [Int64], origin: Int64, timeBase: AVRational) -> Set<Int64>? {
        guard !keepEveryFrame, !timestamps.isEmpty, !timestamps.contains(LibAV.noTimestamp) else { return nil }
        let sorted = Array(Set(timestamps)).sorted()
        let times = sorted.map { LibAV.seconds(from: origin, to: $0, timeBase) }
        var keep = Set<Int64>()
        for target in targets {
            // First index with time >= target; compare with the one before it.
            var low = 0, high = times.count
            while low < high {
                let mid = (low + high) / 2
                if times[mid] < target { low = mid + 1 } else { high = mid }
            }
            if low == times.count {
                keep.insert(sorted[times.count - 1])
            } else if low > 0, abs(times[low - 1] - target) <= abs(times[low] - target) {
                keep.insert(sorted[low - 1])
            } else {
                keep.insert(sorted[low])
            }
        }
        return keep
    }

    /// Offers the next decoded frame (presentation order) shown at `time` seconds from the
    /// start of the video; `serial` numbers frames in decode-output order.
    func offer(_ frame: UnsafeMutablePointer<AVFrame>, time: Double, serial: Int) throws {
        if keepEveryFrame {
            if frames.count < count { try emit(frame, time: time, serial: serial) }
            return
        }
        while nextTarget < targets.count, targets[nextTarget] <= time {
            let target = targets[nextTarget]
            if previousSerial >= 0, abs(previousTime - target) <= abs(time - target) {
                try emit(previous.pointer, time: previousTime, serial: previousSerial)
            } else {
                try emit(frame, time: time, serial: serial)
            }
            nextTarget += 1
        }
        guard nextTarget < targets.count else { return }
        av_frame_unref(previous.pointer)
        guard av_frame_ref(previous.pointer, frame) >= 0 else { throw MediaError(.internal, "cannot reference a frame") }
        previousTime = time
        previousSerial = serial
    }

    /// Assigns the targets after the last frame to the last frame.
    func finish() throws {
        if !keepEveryFrame, previousSerial >= 0, nextTarget < targets.count {
            try emit(previous.pointer, time: previousTime, serial: previousSerial)
            nextTarget = targets.count
        }
        av_frame_unref(previous.pointer)
    }

    private func emit(_ frame: UnsafeMutablePointer<AVFrame>, time: Double, serial: Int) throws {
        guard serial != lastEmittedSerial else { return }
        lastEmittedSerial = serial
        let (width, height) = Self.outputSize(frame.pointee, maxSide: maxSide)
        let rgb = try scaler.rgb(from: frame, width: width, height: height)
        frames.append(VideoFrame(width: width, height: height, rgb: rgb, timestamp: time))
    }

    /// Size that fits `maxSide` on the longer side, keeping the display aspect ratio and never
    /// enlarging: non-square pixels are corrected by shrinking the longer axis, not by
    /// stretching the other.
    static func outputSize(_ frame: AVFrame, maxSide: Int) -> (Int, Int) {
        var width = Double(frame.width), height = Double(frame.height)
        let sar = frame.sample_aspect_ratio
        if sar.num > 0, sar.den > 0, sar.num != sar.den {
            let ratio = Double(sar.num) / Double(sar.den)
            if ratio > 1 { height /= ratio } else { width *= ratio }
        }
        let scale = min(1, Double(maxSide) / max(width, height))
        return (max(1, Int((width * scale).rounded())), max(1, Int((height * scale).rounded())))
    }
}
