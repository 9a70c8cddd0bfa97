/// Per-frame features of one clip, channels first.
///
/// Layout: `values` is `[featureCount, frameCount]` row-major, so each feature is one
/// contiguous row over time. That is the `[channels, length]` input a 1D CNN convolves over.
/// Rows produced by ``AudioFeatureExtractor``: 0 = zero-crossing rate, 1 = RMS energy,
/// 2... = MFCC 0..<nMFCC.
public struct FeatureMatrix: Sendable, Equatable, Codable {
    /// Row index of the zero-crossing rate.
    public static let zcrRow = 0
    /// Row index of the RMS energy.
    public static let rmsRow = 1
    /// Row index of MFCC 0; MFCC `i` is row `mfccRow + i`.
    public static let mfccRow = 2

    /// Number of feature rows (channels).
    public let featureCount: Int
    /// Number of frames (time steps).
    public let frameCount: Int
    /// `[featureCount, frameCount]` row-major.
    public var values: [Float]

    /// Wraps `values`; its count must be `featureCount * frameCount`.
    public init(featureCount: Int, frameCount: Int, values: [Float]) {
        precondition(featureCount >= 0 && frameCount >= 0 && values.count == featureCount * frameCount,
                     "FeatureMatrix: values.count must equal featureCount * frameCount")
        self.featureCount = featureCount
        self.frameCount = frameCount
        self.values = values
    }

    private enum CodingKeys: String, CodingKey { case featureCount, frameCount, values }

    /// Decodes and checks that `values` holds exactly `featureCount * frameCount` numbers, so a
    /// corrupt file is a `DecodingError`, not a crash later.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let featureCount = try container.decode(Int.self, forKey: .featureCount)
        let frameCount = try container.decode(Int.self, forKey: .frameCount)
        let values = try container.decode([Float].self, forKey: .values)
        guard featureCount >= 0, frameCount >= 0,
              featureCount.multipliedReportingOverflow(by: frameCount) == (values.count, false) else {
            throw DecodingError.dataCorruptedError(
                forKey: .values, in: container,
                debugDescription: "expected featureCount * frameCount = \(featureCount) * \(frameCount) values, got \(values.count)")
        }
        self.init(featureCount: featureCount, frameCount: frameCount, values: values)
    }

    /// A matrix of zeros.
    public init(featureCount: Int, frameCount: Int) {
        self.init(featureCount: featureCount, frameCount: frameCount,
                  values: [Float](repeating: 0, count: featureCount * frameCount))
    }

    /// The value of `feature` at `frame`.
    public subscript(feature: Int, frame: Int) -> Float {
        get { values[feature * frameCount + frame] }
        set { values[feature * frameCount + frame] = newValue }
    }

    /// One feature over time.
    public func row(_ feature: Int) -> ArraySlice<Float> {
        values[feature * frameCount ..< (feature + 1) * frameCount]
    }

    /// The same features over exactly `frames` frames, so clips of any duration fit a network
    /// with a fixed input length.
    ///
    /// Longer inputs keep their centre frames (speech in RAVDESS-like clips sits in the middle,
    /// silence at both ends). Shorter inputs are centred and padded with zeros on both sides
    /// (the extra frame goes to the end): pad standardised features, where zero is the mean.
    public func fixedLength(_ frames: Int) -> FeatureMatrix {
        let frames = max(0, frames)
        guard frames != frameCount else { return self }
        var out = [Float](repeating: 0, count: featureCount * frames)
        let sourceStart = frameCount > frames ? (frameCount - frames) / 2 : 0
        let targetStart = frames > frameCount ? (frames - frameCount) / 2 : 0
        let copied = min(frames, frameCount)
        if copied > 0 {
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for feature in 0 ..< featureCount {
                        let from = source.baseAddress! + feature * frameCount + sourceStart
                        let to = target.baseAddress! + feature * frames + targetStart
                        to.update(from: from, count: copied)
                    }
                }
            }
        }
        return FeatureMatrix(featureCount: featureCount, frameCount: frames, values: out)
    }
}
