import Foundation
import XCTest
@testable import Audio

final class FeatureNormalizerTests: XCTestCase {
    func testFitGivesZeroMeanUnitVariancePerRow() throws {
        let a = FeatureMatrix(featureCount: 2, frameCount: 3, values: [1, 2, 3, 10, 10, 10])
        let b = FeatureMatrix(featureCount: 2, frameCount: 1, values: [4, 10])
        let normalizer = try FeatureNormalizer.fit([a, b])
        XCTAssertEqual(normalizer.means[0], 2.5, accuracy: 1e-6)
        XCTAssertEqual(normalizer.standardDeviations[0], Float(1.25).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(normalizer.means[1], 10)
        XCTAssertEqual(normalizer.standardDeviations[1], 1, "a constant row keeps unit scale")
        let normalized = try normalizer.normalized(a)
        XCTAssertEqual(normalized[0, 0], (1 - 2.5) / Float(1.25).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(Array(normalized.row(1)), [0, 0, 0])
    }

    func testCodableRoundTripAndMismatchErrors() throws {
        let normalizer = try FeatureNormalizer(means: [1, 2], standardDeviations: [3, 4])
        let data = try JSONEncoder().encode(normalizer)
        XCTAssertEqual(try JSONDecoder().decode(FeatureNormalizer.self, from: data), normalizer)
        XCTAssertThrowsError(try normalizer.normalized(FeatureMatrix(featureCount: 3, frameCount: 2))) { error in
            XCTAssertEqual(error as? AudioFeatureError, .featureCountMismatch(expected: 2, actual: 3))
        }
        XCTAssertThrowsError(try FeatureNormalizer(means: [1], standardDeviations: [0]))
        XCTAssertThrowsError(try FeatureNormalizer(means: [1, 2], standardDeviations: [1]))
        XCTAssertThrowsError(try FeatureNormalizer.fit([FeatureMatrix]()))
        XCTAssertThrowsError(try FeatureNormalizer.fit([FeatureMatrix(featureCount: 2, frameCount: 1),
                                                        FeatureMatrix(featureCount: 3, frameCount: 1)]))
    }

    func testCorruptEncodingsAreDecodingErrors() {
        let badNormalizer = Data(#"{"means":[1,2],"standardDeviations":[1]}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureNormalizer.self, from: badNormalizer))
        let zeroDeviation = Data(#"{"means":[1],"standardDeviations":[0]}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureNormalizer.self, from: zeroDeviation))
        let badMatrix = Data(#"{"featureCount":2,"frameCount":3,"values":[1,2,3]}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(FeatureMatrix.self, from: badMatrix)) { error in
            guard case DecodingError.dataCorrupted = error else { return XCTFail("\(error)") }
        }
        let good = FeatureMatrix(featureCount: 2, frameCount: 2, values: [1, 2, 3, 4])
        XCTAssertEqual(try JSONDecoder().decode(FeatureMatrix.self, from: JSONEncoder().encode(good)), good)
    }
}
