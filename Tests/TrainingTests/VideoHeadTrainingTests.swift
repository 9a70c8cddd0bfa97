import Foundation
import Fusion
import Models
import NN
import XCTest
@testable import Training

/// The paper's video head learns, on synthetic embedding matrices (no DINOv2 needed).
final class VideoHeadTrainingTests: XCTestCase {
    /// `perClass` clips of each of `classes` emotions: every clip is noise plus a class-specific
    /// band of columns raised in every frame, so the classes are separable but not trivially
    /// (the noise is as large as the signal).
    private func separableSet(classes: [Emotion], perClass: Int, geometry: VideoHead.Geometry,
                              seed: UInt64) -> (matrices: [[Float]], labels: [Int]) {
        var rng = SeededRandom(seed: seed)
        var matrices: [[Float]] = [], labels: [Int] = []
        let band = geometry.embeddingWidth / classes.count
        for (c, emotion) in classes.enumerated() {
            for _ in 0..<perClass {
                var m = (0..<geometry.valuesPerClip).map { _ in rng.nextGaussian() * 0.5 }
                for f in 0..<geometry.frames {
                    for x in (c * band)..<((c + 1) * band) { m[f * geometry.embeddingWidth + x] += 0.5 }
                }
                matrices.append(m)
                labels.append(emotion.index)
            }
        }
        return (matrices, labels)
    }

    func testLossFallsAndTheHeadFitsASmallSeparableSetCompletely() throws {
        let geometry = VideoHead.Geometry(frames: 22, embeddingWidth: 48)
        let set = separableSet(classes: [.happy, .sad, .angry, .surprised], perClass: 4, geometry: geometry, seed: 7)
        var lines: [String] = []
        let trainer = VideoTrainer(recipe: .init(epochs: 25, batchSize: 8, learningRate: 1e-3, seed: 3)) { lines.append($0) }
        let (head, history) = try trainer.train(matrices: set.matrices, labels: set.labels, geometry: geometry)

        XCTAssertEqual(history.count, 25)
        XCTAssertEqual(lines.count, 25)
        XCTAssertTrue(lines[0].hasPrefix("epoch 1/25  loss "), lines[0])
        XCTAssertTrue(lines[0].contains("train acc") && lines[0].contains("ETA"), lines[0])
        let first = history.first!.loss, last = history.last!.loss
        XCTAssertLessThan(last, first * 0.2, "loss \(first) -> \(last)")
        XCTAssertLessThan(last, 0.2)
        // Every training clip right in evaluation mode.
        let predicted = try head.predict(clips: set.matrices).map { p in p.indices.max { p[$0] < p[$1] }! }
        XCTAssertEqual(predicted, set.labels)
        XCTAssertEqual(history.last!.accuracy, 1)
    }

    func testTrainingIsReproduciblePerSeed() throws {
        let geometry = VideoHead.Geometry(frames: 12, embeddingWidth: 24)
        let set = separableSet(classes: [.calm, .fearful], perClass: 3, geometry: geometry, seed: 1)
        let recipe = VideoTrainer.Recipe(epochs: 3, batchSize: 4, learningRate: 1e-3, seed: 11)
        let a = try VideoTrainer(recipe: recipe).train(matrices: set.matrices, labels: set.labels, geometry: geometry)
        let b = try VideoTrainer(recipe: recipe).train(matrices: set.matrices, labels: set.labels, geometry: geometry)
        XCTAssertEqual(a.history.map(\.loss), b.history.map(\.loss))
        XCTAssertEqual(a.head.parameters, b.head.parameters)
    }

    func testBadTrainingInputsAreTypedErrors() throws {
        let geometry = VideoHead.Geometry(frames: 12, embeddingWidth: 24)
        let good = [Float](repeating: 0.1, count: geometry.valuesPerClip)
        let trainer = VideoTrainer(recipe: .init(epochs: 1))
        XCTAssertThrowsError(try trainer.train(matrices: [], labels: [], geometry: geometry)) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidInput)
        }
        XCTAssertThrowsError(try trainer.train(matrices: [good], labels: [1, 2], geometry: geometry)) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidInput)
        }
        XCTAssertThrowsError(try trainer.train(matrices: [good], labels: [8], geometry: geometry)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
        XCTAssertThrowsError(try trainer.train(matrices: [Array(good.dropLast())], labels: [1], geometry: geometry)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
        var nan = good
        nan[5] = .nan
        XCTAssertThrowsError(try trainer.train(matrices: [nan], labels: [1], geometry: geometry)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
        XCTAssertThrowsError(try VideoTrainer(recipe: .init(epochs: 0)).train(matrices: [good], labels: [1], geometry: geometry)) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidInput)
        }
    }
}
