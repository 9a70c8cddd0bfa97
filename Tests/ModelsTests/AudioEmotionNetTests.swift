import Foundation
import XCTest
import NN
@testable import Models

final class AudioEmotionNetTests: XCTestCase {
    private func randomFeatures(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var rng = SeededRandom(seed: seed)
        var t = Tensor(zeros: shape)
        for i in t.data.indices { t.data[i] = rng.nextGaussian() * scale + offset }
        return t
    }

    func testCompactNetGivesEightProbabilitiesPerItem() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact), seed: 1)
        let probs = try net.predict(features: randomFeatures([3, 42, 128], seed: 2))
        XCTAssertEqual(probs.count, 3)
        for p in probs {
            XCTAssertEqual(p.count, 8)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssert(p.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        // A single clip [F, T] is accepted too, and gives the same answer as inside a batch.
        let batch = randomFeatures([3, 42, 128], seed: 2)
        let single = try net.predict(features: Tensor(shape: [42, 128], data: Array(batch.data[0..<(42 * 128)])))
        XCTAssertEqual(single.count, 1)
        for (p, q) in zip(single[0], probs[0]) { XCTAssertEqual(p, q, accuracy: 1e-5) }
    }

    func testPaperNetHasThePublishedLayerStack() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .paper, featureCount: 42, inputFrames: 128), seed: 1)
        let convs = net.network.layers.compactMap { $0 as? Conv1d }
        XCTAssertEqual(convs.map(\.outChannels), [512, 512, 256, 256, 128])
        XCTAssert(convs.allSatisfy { $0.kernelSize == 5 && $0.padding == 2 && $0.stride == 1 })
        XCTAssertEqual(net.network.layers.compactMap { $0 as? MaxPool1d }.count, 5)
        let linears = net.network.layers.compactMap { $0 as? Linear }
        XCTAssertEqual(linears.map(\.inFeatures), [128 * 4, 512], "128 frames halve 5 times to 4")
        XCTAssertEqual(linears.map(\.outFeatures), [512, 8])
        // Conv weights+biases, BN gammas+betas, two linears; counted by hand.
        XCTAssertEqual(net.network.parameterCount,
                       108_032 + 1_311_232 + 655_616 + 327_936 + 163_968 + 3_328 + 262_656 + 4_104)
        let probs = try net.predict(features: randomFeatures([2, 42, 128], seed: 3))
        XCTAssertEqual(probs.count, 2)
        XCTAssertEqual(probs[0].reduce(0, +), 1, accuracy: 1e-5)
    }

    func testPaperNetOnAFlattenedOneChannelSequenceHasThePapersFlattenWidth() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .paper, featureCount: 1, inputFrames: 5984), seed: 1)
        XCTAssertEqual(net.network.layers.compactMap { $0 as? Linear }.first?.inFeatures, 23_936)
    }

    func testPaperNetAcceptsOtherLengthsByCroppingOrPadding() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .paper, featureCount: 4, inputFrames: 32), seed: 1)
        XCTAssertEqual(try net.predict(features: randomFeatures([1, 4, 50], seed: 4)).count, 1)
        XCTAssertEqual(try net.predict(features: randomFeatures([1, 4, 7], seed: 5)).count, 1)
    }

    func testTimeAxisIsCentreCroppedOrCentrePadded() {
        let x = Tensor(shape: [1, 2, 5], data: [1, 2, 3, 4, 5, 10, 20, 30, 40, 50])
        XCTAssertEqual(AudioEmotionNet.fitTimeAxis(x, frames: 3).data, [2, 3, 4, 20, 30, 40])
        XCTAssertEqual(AudioEmotionNet.fitTimeAxis(x, frames: 8).data,
                       [0, 1, 2, 3, 4, 5, 0, 0, 0, 10, 20, 30, 40, 50, 0, 0])
        XCTAssertEqual(AudioEmotionNet.fitTimeAxis(x, frames: 5), x)
    }

    func testFeatureStandardizationIsFittedAndAppliedBeforePadding() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact, featureCount: 2, inputFrames: 6), seed: 1)
        let x = Tensor(shape: [2, 2, 4], data: [1, 3, 1, 3, 100, 100, 100, 100,
                                                 1, 3, 1, 3, 100, 100, 100, 100])
        try net.fitFeatureStandardization(x)
        XCTAssertEqual(net.featureMean.value.data, [2, 100])
        XCTAssertEqual(net.featureStd.value.data, [1, 1], "a constant row keeps scale 1 instead of dividing by 0")
        let prepared = try net.prepare(x)
        XCTAssertEqual(prepared.shape, [2, 2, 6])
        XCTAssertEqual(Array(prepared.data[0..<12]), [0, -1, 1, -1, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    func testHostileInputsAreTypedErrors() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact), seed: 1)
        func assertInvalid(_ t: Tensor, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try net.predict(features: t), file: file, line: line) {
                XCTAssertEqual(($0 as? ModelError)?.code, .invalidInput, file: file, line: line)
            }
        }
        assertInvalid(Tensor(zeros: [42]))
        assertInvalid(Tensor(zeros: [1, 13, 128]))
        assertInvalid(Tensor(zeros: [0, 42, 128]))
        assertInvalid(Tensor(zeros: [1, 42, 0]))
        var nan = Tensor(zeros: [1, 42, 10]); nan.data[3] = .nan
        assertInvalid(nan)
        XCTAssertThrowsError(try AudioEmotionNet(configuration: .init(architecture: .paper, inputFrames: 16))) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidMetadata)
        }
    }

    func testPredictionIsEvalModeAndLeavesTheModelUnchanged() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact), seed: 1)
        let x = randomFeatures([2, 42, 64], seed: 6)
        let before = net.namedTensors.map(\.parameter.value)
        let a = try net.predict(features: x), b = try net.predict(features: x)
        XCTAssertEqual(a, b, "no dropout, no batch statistics at inference")
        XCTAssertEqual(net.namedTensors.map(\.parameter.value), before)
        // Items are independent in eval mode: one clip alone gives the same probabilities.
        let first = try net.predict(features: Tensor(shape: [1, 42, 64], data: Array(x.data[0..<(42 * 64)])))
        for (p, q) in zip(first[0], a[0]) { XCTAssertEqual(p, q, accuracy: 1e-5) }
    }

    /// Eight classes, each marked by a burst in its own feature rows at a random time, on top of
    /// noise with MFCC-like offsets and scales (so standardisation matters).
    static func toyClips(count: Int, frames: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = SeededRandom(seed: seed)
        var x = Tensor(zeros: [count, 42, frames])
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 8
            labels.append(label)
            for f in 0..<42 {
                for t in 0..<frames { x.data[(i * 42 + f) * frames + t] = Float(f) * 10 + rng.nextGaussian() * 5 }
            }
            let at = rng.nextIndex(below: frames - 6)
            for f in [label * 5, label * 5 + 1] {
                for t in at..<(at + 6) { x.data[(i * 42 + f) * frames + t] += 20 }
            }
        }
        return (x, labels)
    }

    func testCompactNetLearnsAToyEightClassProblem() throws {
        let (x, y) = Self.toyClips(count: 96, frames: 32, seed: 7)
        let (tx, ty) = Self.toyClips(count: 48, frames: 32, seed: 8)
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact, inputFrames: 32, dropout: 0.1), seed: 3)
        try net.fitFeatureStandardization(x)
        let adam = Adam(learningRate: 3e-3)
        var rng = SeededRandom(seed: 4)
        for _ in 0..<12 {
            let order = rng.permutation(96)
            for start in stride(from: 0, to: 96, by: 16) {
                let idx = order[start..<(start + 16)]
                try net.trainStep(features: x.items(idx), labels: idx.map { y[$0] }, optimizer: adam)
            }
        }
        let probs = try net.predict(features: tx)
        let correct = zip(probs, ty).filter { p, label in p.indices.max { p[$0] < p[$1] } == label }.count
        XCTAssertGreaterThanOrEqual(Double(correct) / Double(ty.count), 0.9, "held-out accuracy")
    }

    /// Forward latency on one 42 x 128 clip, printed for the record (debug builds are much slower
    /// than release; the assertion only guards against pathological regressions).
    func testForwardLatencyReport() throws {
        let threads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(threads) }
        let x = randomFeatures([1, 42, 128], seed: 9)
        for arch in AudioEmotionNet.Architecture.allCases {
            let net = try AudioEmotionNet(configuration: .init(architecture: arch, inputFrames: 128), seed: 1)
            _ = try net.predict(features: x)
            let runs = 5
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<runs { _ = try net.predict(features: x) }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(runs)
            print("AudioEmotionNet \(arch.rawValue) forward [1, 42, 128], 1 BLAS thread: \(String(format: "%.2f", ms)) ms")
            XCTAssertLessThan(ms, 2000)
        }
    }
}
