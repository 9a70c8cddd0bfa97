import XCTest
@testable import NN

/// Forward passes against values computed by hand.
final class LayerForwardTests: XCTestCase {
    private func assertEqual(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
    }

    func testConv1dComputesCrossCorrelationWithPaddingAndBias() {
        var rng = SeededRandom(seed: 1)
        let conv = Conv1d(inChannels: 1, outChannels: 1, kernelSize: 3, padding: 1, rng: &rng)
        conv.weight.value = Tensor(shape: [1, 1, 3], data: [1, 2, 3])
        conv.bias!.value = Tensor(shape: [1], data: [0.5])
        let y = conv(Tensor(shape: [1, 1, 4], data: [1, 2, 3, 4]))
        // Padded input 0 1 2 3 4 0; y[i] = x[i-1] + 2 x[i] + 3 x[i+1] + 0.5
        XCTAssertEqual(y.shape, [1, 1, 4])
        assertEqual(y.data, [8.5, 14.5, 20.5, 11.5])
    }

    func testConv1dStrideTwoTwoChannelsBatchOfTwo() {
        var rng = SeededRandom(seed: 1)
        let conv = Conv1d(inChannels: 2, outChannels: 2, kernelSize: 2, stride: 2, bias: false, rng: &rng)
        // out 0 sums channel 0 taps; out 1 = channel 1 tap 0 minus channel 0 tap 1.
        conv.weight.value = Tensor(shape: [2, 2, 2], data: [1, 1, 0, 0, /**/ 0, -1, 1, 0])
        let x = Tensor(shape: [2, 2, 4], data: [1, 2, 3, 4, 10, 20, 30, 40,
                                                 5, 6, 7, 8, 50, 60, 70, 80])
        let y = conv(x)
        XCTAssertEqual(y.shape, [2, 2, 2])
        assertEqual(y.data, [3, 7, 8, 26, /**/ 11, 15, 44, 62])
    }

    func testConv2dComputesCrossCorrelation() {
        var rng = SeededRandom(seed: 1)
        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 2, rng: &rng)
        conv.weight.value = Tensor(shape: [1, 1, 2, 2], data: [1, 0, 0, -1])
        conv.bias!.value = Tensor(shape: [1], data: [1])
        let x = Tensor(shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 10])
        let y = conv(x)
        // y = x[i][j] - x[i+1][j+1] + 1
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        assertEqual(y.data, [-3, -3, -3, -4])
    }

    func testConv2dPaddingKeepsSizeAndZeroPads() {
        var rng = SeededRandom(seed: 1)
        let conv = Conv2d(inChannels: 1, outChannels: 1, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        conv.weight.value = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        let y = conv(Tensor(shape: [2, 1, 2, 2], data: [1, 1, 1, 1, 1, 2, 3, 4]))
        // Every 3x3 window covers the whole 2x2 plane.
        assertEqual(y.data, [4, 4, 4, 4, 10, 10, 10, 10])
    }

    func testLinearIsXTimesWTransposePlusBias() {
        var rng = SeededRandom(seed: 1)
        let linear = Linear(inFeatures: 3, outFeatures: 2, rng: &rng)
        linear.weight.value = Tensor(shape: [2, 3], data: [1, 2, 3, -1, 0, 1])
        linear.bias!.value = Tensor(shape: [2], data: [0.5, -0.5])
        let y = linear(Tensor(shape: [2, 3], data: [1, 1, 1, 2, 0, -1]))
        assertEqual(y.data, [6.5, -0.5, -0.5, -3.5])
    }

    func testBatchNormTrainingNormalisesAndUpdatesRunningStatistics() {
        let bn = BatchNorm(channels: 1, momentum: 0.5)
        let y = bn.forward(Tensor(shape: [4, 1], data: [1, 2, 3, 4]), training: true)
        // mean 2.5, biased var 1.25
        let inv = 1 / (1.25 + 1e-5 as Float).squareRoot()
        assertEqual(y.data, [-1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv])
        assertEqual(bn.runningMean.value.data, [1.25])
        // unbiased var 5/3; 0.5 * 1 + 0.5 * 5/3
        assertEqual(bn.runningVar.value.data, [0.5 + 0.5 * 5 / 3])
    }

    func testBatchNormTrainingOnASingleValuePerChannelOutputsBeta() {
        let bn = BatchNorm(channels: 2)
        bn.bias.value = Tensor(shape: [2], data: [0.5, -1])
        let y = bn.forward(Tensor(shape: [1, 2], data: [3, 4]), training: true)
        assertEqual(y.data, [0.5, -1])
        XCTAssert(bn.runningVar.value.data.allSatisfy { $0.isFinite })
    }

    func testBatchNormEvalUsesRunningStatistics() {
        let bn = BatchNorm(channels: 2, epsilon: 0)
        bn.runningMean.value = Tensor(shape: [2], data: [1, -1])
        bn.runningVar.value = Tensor(shape: [2], data: [4, 0.25])
        bn.weight.value = Tensor(shape: [2], data: [2, 1])
        bn.bias.value = Tensor(shape: [2], data: [0, 3])
        let y = bn(Tensor(shape: [1, 2, 2], data: [3, 1, 0, -1]))
        assertEqual(y.data, [2, 0, 5, 3])
        XCTAssertEqual(bn.runningMean.value.data, [1, -1], "eval mode leaves running stats alone")
    }

    func testMaxPoolsPickTheWindowMaximum() {
        let y1 = MaxPool1d(kernelSize: 2)(Tensor(shape: [1, 1, 5], data: [1, 3, 2, -1, 9]))
        assertEqual(y1.data, [3, 2])
        let y2 = MaxPool2d(kernelSize: 2)(Tensor(shape: [1, 1, 2, 4], data: [1, 5, 2, 0, 3, 4, 7, 1]))
        assertEqual(y2.data, [5, 7])
    }

    func testGlobalAveragePoolAndFlattenShapes() {
        let x = Tensor(shape: [2, 2, 3], data: [1, 2, 3, 4, 5, 6, 0, 0, 3, -3, -3, -3])
        assertEqual(GlobalAveragePool1d()(x).data, [2, 5, 1, -3])
        XCTAssertEqual(Flatten()(x).shape, [2, 6])
    }

    func testSoftmaxIsStableForLargeLogits() {
        let p = Softmax.probabilities(Tensor(shape: [2, 3], data: [1000, 1000, 1000, 0, 0, log(2)]))
        assertEqual(p.data, [1 / 3, 1 / 3, 1 / 3, 0.25, 0.25, 0.5])
    }

    func testCrossEntropyOfUniformLogitsIsLogK() {
        let (loss, grad) = CrossEntropyLoss()(logits: Tensor(zeros: [2, 4]), labels: [1, 3])
        XCTAssertEqual(loss, log(4), accuracy: 1e-6)
        // (p - onehot) / N
        assertEqual(grad.data, [0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375])
    }

    func testCrossEntropyIsFiniteForExtremeLogits() {
        let (loss, grad) = CrossEntropyLoss()(logits: Tensor(shape: [1, 2], data: [-1e4, 1e4]), labels: [0])
        XCTAssertEqual(loss, 2e4, accuracy: 1)
        XCTAssert(grad.data.allSatisfy { $0.isFinite })
    }

    func testDropoutIsIdentityInEvaluation() {
        let x = GradientChecking.randomTensor([3, 10], seed: 1)
        XCTAssertEqual(Dropout(rate: 0.5, seed: 1)(x), x)
    }

    func testSequentialNamesTensorsLikeAPyTorchStateDict() {
        var rng = SeededRandom(seed: 1)
        let net = Sequential([Conv1d(inChannels: 1, outChannels: 2, kernelSize: 1, rng: &rng),
                              BatchNorm(channels: 2), ReLU()])
        XCTAssertEqual(net.namedTensors.map(\.name),
                       ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"])
        XCTAssertEqual(net.parameterCount, 2 + 2 + 2 + 2)
    }

    func testBLASThreadsCanBeSet() {
        let before = BLASThreads.current
        BLASThreads.set(1)
        XCTAssertEqual(BLASThreads.current, 1)
        BLASThreads.set(before)
    }
}
