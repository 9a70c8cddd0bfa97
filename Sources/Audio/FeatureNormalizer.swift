/// Per-feature standardisation: `(x - mean) / std` for each feature row.
///
/// Why: the rows live on very different scales (ZCR in [0, 1], RMS around 0.01-0.3, MFCC 0 in
/// the hundreds of dB), which slows and destabilises training. The statistics are fitted on
/// training clips only and stored (Codable) in the model's metadata, so inference applies the
/// exact same shift and scale.
public struct FeatureNormalizer: Codable, Sendable, Equatable {
    /// Mean of each feature row over all frames of the fitting data.
    public let means: [Float]
    /// Standard deviation of each feature row; rows that were constant store 1 so they map to 0.
    public let standardDeviations: [Float]

    /// Standard deviations below this are treated as a constant row (stored as 1).
    public static let constantRowThreshold: Float = 1e-6

    /// Number of feature rows this normaliser applies to.
    public var featureCount: Int { means.count }

    /// Wraps known statistics (for instance decoded from model metadata).
    /// - Throws: ``AudioFeatureError/invalidArgument(_:)`` when the counts differ or a value is
    ///   not finite or a standard deviation is not positive.
    public init(means: [Float], standardDeviations: [Float]) throws {
        guard means.count == standardDeviations.count else {
            throw AudioFeatureError.invalidArgument(
                "means (\(means.count)) and standardDeviations (\(standardDeviations.count)) differ in length")
        }
        guard means.allSatisfy(\.isFinite), standardDeviations.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw AudioFeatureError.invalidArgument("normaliser statistics must be finite, deviations > 0")
        }
        self.means = means
        self.standardDeviations = standardDeviations
    }

    private enum CodingKeys: String, CodingKey { case means, standardDeviations }

    /// Decodes and validates like ``init(means:standardDeviations:)``, so bad model metadata is
    /// an error at load time.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(means: container.decode([Float].self, forKey: .means),
                      standardDeviations: container.decode([Float].self, forKey: .standardDeviations))
    }

    /// Fits mean and standard deviation per row over every frame of every matrix.
    /// - Throws: ``AudioFeatureError/featureCountMismatch(expected:actual:)`` if the matrices
    ///   disagree on their row count, ``AudioFeatureError/invalidArgument(_:)`` if there are no frames.
    public static func fit<Matrices: Sequence>(_ matrices: Matrices) throws -> FeatureNormalizer
    where Matrices.Element == FeatureMatrix {
        var sums: [Double] = []
        var squares: [Double] = []
        var frames = 0
        for matrix in matrices {
            if sums.isEmpty, frames == 0 {
                sums = [Double](repeating: 0, count: matrix.featureCount)
                squares = sums
            }
            guard matrix.featureCount == sums.count else {
                throw AudioFeatureError.featureCountMismatch(expected: sums.count, actual: matrix.featureCount)
            }
            matrix.values.withUnsafeBufferPointer { values in
                for row in 0 ..< matrix.featureCount {
                    var sum = 0.0, square = 0.0
                    for x in values[row * matrix.frameCount ..< (row + 1) * matrix.frameCount] {
                        let v = Double(x)
                        sum += v
                        square += v * v
                    }
                    sums[row] += sum
                    squares[row] += square
                }
            }
            frames += matrix.frameCount
        }
        guard frames > 0 else { throw AudioFeatureError.invalidArgument("cannot fit a normaliser on zero frames") }
        let count = Double(frames)
        let means = sums.map { $0 / count }
        let deviations = zip(squares, means).map { square, mean -> Float in
            let deviation = Float(max(0, square / count - mean * mean).squareRoot())
            return deviation.isFinite && deviation >= constantRowThreshold ? deviation : 1
        }
        return try FeatureNormalizer(means: means.map { Float($0) }, standardDeviations: deviations)
    }

    /// Standardises `matrix` in place.
    /// - Throws: ``AudioFeatureError/featureCountMismatch(expected:actual:)``.
    public func normalize(_ matrix: inout FeatureMatrix) throws {
        guard matrix.featureCount == featureCount else {
            throw AudioFeatureError.featureCountMismatch(expected: featureCount, actual: matrix.featureCount)
        }
        let frames = matrix.frameCount
        matrix.values.withUnsafeMutableBufferPointer { values in
            for row in 0 ..< featureCount {
                let mean = means[row], scale = 1 / standardDeviations[row]
                for i in row * frames ..< (row + 1) * frames {
                    values[i] = (values[i] - mean) * scale
                }
            }
        }
    }

    /// A standardised copy of `matrix`.
    public func normalized(_ matrix: FeatureMatrix) throws -> FeatureMatrix {
        var copy = matrix
        try normalize(&copy)
        return copy
    }
}
