import XCTest
@testable import NN

/// Whole-loop behaviour: reproducibility, optimisation, learning.
final class TrainingBehaviourTests: XCTestCase {
    /// A toy two-class problem over `[N, 2, 16]` sequences: class 1 carries a bump in channel 0
    /// somewhere in the sequence, class 0 the same bump in channel 1. Linearly inseparable
    /// position-wise (the bump moves), easy for a conv + pooling net.
    static func toyDataset(count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = SeededRandom(seed: seed)
        var x = Tensor(zeros: [count, 2, 16])
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            labels.append(label)
            for j in 0..<(2 * 16) { x.data[i * 32 + j] = rng.nextGaussian() * 0.3 }
            let channel = label == 1 ? 0 : 1
            let at = rng.nextIndex(below: 13)
            for k in 0..<3 { x.data[i * 32 + channel * 16 + at + k] += 2 }
        }
        return (x, labels)
    }

    static func makeNet(seed: UInt64) -> Sequential {
        var rng = SeededRandom(seed: seed)
        return Sequential([
            Conv1d(inChannels: 2, outChannels: 8, kernelSize: 3, padding: 1, rng: &rng),
            BatchNorm(channels: 8), ReLU(), MaxPool1d(kernelSize: 2),
            Conv1d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, rng: &rng),
            BatchNorm(channels: 8), ReLU(),
            GlobalAveragePool1d(), Dropout(rate: 0.1, seed: seed &+ 1),
            Linear(inFeatures: 8, outFeatures: 2, rng: &rng),
        ])
    }

    /// Runs `epochs` of mini-batch Adam and returns the network.
    static func train(seed: UInt64, epochs: Int, x: Tensor, labels: [Int]) -> Sequential {
        let net = makeNet(seed: seed)
        let adam = Adam(learningRate: 0.01, weightDecay: 1e-4)
        let loss = CrossEntropyLoss()
        var rng = SeededRandom(seed: seed &+ 2)
        let n = labels.count, batch = 16
        for _ in 0..<epochs {
            let order = rng.permutation(n)
            for start in stride(from: 0, to: n, by: batch) {
                let idx = order[start..<min(start + batch, n)]
                net.zeroGrad()
                let (_, g) = loss(logits: net.forward(x.items(idx), training: true), labels: idx.map { labels[$0] })
                _ = net.backward(g)
                adam.step(net.parameters)
            }
        }
        return net
    }

    static func accuracy(_ net: Sequential, _ x: Tensor, _ labels: [Int]) -> Double {
        let p = net(x)
        var correct = 0
        for i in labels.indices where (p.data[i * 2 + 1] > p.data[i * 2] ? 1 : 0) == labels[i] { correct += 1 }
        return Double(correct) / Double(labels.count)
    }

    func testSameSeedGivesBitIdenticalWeightsAfterTraining() {
        let (x, y) = Self.toyDataset(count: 64, seed: 5)
        let a = Self.train(seed: 42, epochs: 3, x: x, labels: y)
        let b = Self.train(seed: 42, epochs: 3, x: x, labels: y)
        let c = Self.train(seed: 43, epochs: 3, x: x, labels: y)
        let wa = a.namedTensors.map(\.parameter.value), wb = b.namedTensors.map(\.parameter.value)
        XCTAssertEqual(wa, wb, "same seed, same data: identical weights and running stats")
        XCTAssertNotEqual(wa, c.namedTensors.map(\.parameter.value), "another seed gives other weights")
    }

    func testSmallConvNetFitsSeparableToyData() {
        let (x, y) = Self.toyDataset(count: 128, seed: 6)
        let (tx, ty) = Self.toyDataset(count: 64, seed: 7)
        let untrained = Self.makeNet(seed: 1)
        let before = Self.accuracy(untrained, tx, ty)
        let net = Self.train(seed: 1, epochs: 15, x: x, labels: y)
        XCTAssertGreaterThanOrEqual(Self.accuracy(net, x, y), 0.98, "fits the training set")
        XCTAssertGreaterThanOrEqual(Self.accuracy(net, tx, ty), 0.95, "generalises to fresh samples (before: \(before))")
    }

    func testAdamMinimisesAQuadratic() {
        let p = Parameter(name: "w", value: Tensor(shape: [3], data: [5, -3, 1]))
        let adam = Adam(learningRate: 0.1)
        let target: [Float] = [1, 2, 3]
        for _ in 0..<500 {
            for i in 0..<3 { p.grad.data[i] = 2 * (p.value.data[i] - target[i]) }
            adam.step([p])
        }
        for i in 0..<3 { XCTAssertEqual(p.value.data[i], target[i], accuracy: 1e-2) }
    }

    func testAdamWeightDecayShrinksMatricesButNotBiases() {
        let matrix = Parameter(name: "weight", value: Tensor(shape: [1, 2], data: [1, 1]))
        let vector = Parameter(name: "bias", value: Tensor(shape: [2], data: [1, 1]))
        let adam = Adam(learningRate: 0.1, weightDecay: 0.5)
        adam.step([matrix, vector]) // zero gradients: only decay acts
        XCTAssertEqual(matrix.value.data, [0.95, 0.95])
        XCTAssertEqual(vector.value.data, [1, 1])
    }

    func testItemsGathersAndStackJoinsAlongTheBatchAxis() {
        let x = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.items([2, 0]), Tensor(shape: [2, 2], data: [5, 6, 1, 2]))
        XCTAssertEqual(Tensor.stack([Tensor(shape: [2], data: [1, 2]), Tensor(shape: [2], data: [3, 4])]),
                       Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
    }

    func testSeededRandomIsReproducibleAndShufflesToAPermutation() {
        var a = SeededRandom(seed: 123), b = SeededRandom(seed: 123)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        var r = SeededRandom(seed: 9)
        let perm = r.permutation(100)
        XCTAssertEqual(perm.sorted(), Array(0..<100))
        XCTAssertNotEqual(perm, Array(0..<100))
        var g = SeededRandom(seed: 1)
        let samples = (0..<20_000).map { _ in g.nextGaussian() }
        let mean = samples.reduce(0, +) / Float(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(samples.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }
}
