import XCTest
@testable import NN

/// Finite-difference checks of every layer's backward pass (see `GradientChecking`).
final class LayerGradientTests: XCTestCase {
    func testConv1dGradientsStrideOnePaddingTwo() {
        var rng = SeededRandom(seed: 1)
        let conv = Conv1d(inChannels: 3, outChannels: 4, kernelSize: 5, padding: 2, rng: &rng)
        GradientChecking.check(conv, input: GradientChecking.randomTensor([2, 3, 9], seed: 2))
    }

    func testConv1dGradientsStrideTwoPaddingOne() {
        var rng = SeededRandom(seed: 3)
        let conv = Conv1d(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        GradientChecking.check(conv, input: GradientChecking.randomTensor([3, 2, 8], seed: 4))
    }

    func testConv1dGradientsBatchOfOne() {
        var rng = SeededRandom(seed: 5)
        let conv = Conv1d(inChannels: 2, outChannels: 3, kernelSize: 3, rng: &rng)
        GradientChecking.check(conv, input: GradientChecking.randomTensor([1, 2, 6], seed: 6))
    }

    func testConv2dGradientsPaddingOne() {
        var rng = SeededRandom(seed: 7)
        let conv = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        GradientChecking.check(conv, input: GradientChecking.randomTensor([2, 2, 5, 4], seed: 8))
    }

    func testConv2dGradientsStrideTwoRectangularKernel() {
        var rng = SeededRandom(seed: 9)
        let conv = Conv2d(inChannels: 2, outChannels: 2, kernelSize: (3, 2), stride: (2, 1),
                          padding: (1, 0), rng: &rng)
        GradientChecking.check(conv, input: GradientChecking.randomTensor([2, 2, 6, 5], seed: 10))
    }

    func testLinearGradients() {
        var rng = SeededRandom(seed: 11)
        let linear = Linear(inFeatures: 7, outFeatures: 4, rng: &rng)
        GradientChecking.check(linear, input: GradientChecking.randomTensor([3, 7], seed: 12))
    }

    func testBatchNormTrainingGradientsOverNCL() {
        let bn = BatchNorm(channels: 3)
        bn.weight.value = GradientChecking.randomTensor([3], seed: 13, scale: 1, awayFromZero: 0.5)
        bn.bias.value = GradientChecking.randomTensor([3], seed: 14)
        GradientChecking.check(bn, input: GradientChecking.randomTensor([4, 3, 5], seed: 15, scale: 2))
    }

    func testBatchNormTrainingGradientsOverNF() {
        let bn = BatchNorm1d(channels: 5)
        bn.weight.value = GradientChecking.randomTensor([5], seed: 16, scale: 1, awayFromZero: 0.5)
        GradientChecking.check(bn, input: GradientChecking.randomTensor([6, 5], seed: 17, scale: 2))
    }

    func testBatchNorm2dTrainingGradients() {
        let bn = BatchNorm2d(channels: 2)
        bn.weight.value = GradientChecking.randomTensor([2], seed: 18, scale: 1, awayFromZero: 0.5)
        GradientChecking.check(bn, input: GradientChecking.randomTensor([2, 2, 3, 3], seed: 19, scale: 2))
    }

    func testBatchNormEvalGradients() {
        let bn = BatchNorm(channels: 3)
        bn.runningMean.value = Tensor(shape: [3], data: [0.5, -1, 0.1])
        bn.runningVar.value = Tensor(shape: [3], data: [2, 0.5, 1])
        bn.weight.value = Tensor(shape: [3], data: [1.5, -0.7, 0.3])
        GradientChecking.check(bn, input: GradientChecking.randomTensor([2, 3, 4], seed: 20), training: false)
    }

    func testReLUGradients() {
        GradientChecking.check(ReLU(), input: GradientChecking.randomTensor([2, 3, 4], seed: 21, awayFromZero: 0.01))
    }

    func testMaxPool1dGradients() {
        GradientChecking.check(MaxPool1d(kernelSize: 2), input: GradientChecking.randomTensor([2, 3, 9], seed: 22))
        GradientChecking.check(MaxPool1d(kernelSize: 3, stride: 2), input: GradientChecking.randomTensor([2, 2, 9], seed: 23))
    }

    func testMaxPool2dGradients() {
        GradientChecking.check(MaxPool2d(kernelSize: 2), input: GradientChecking.randomTensor([2, 2, 5, 4], seed: 24))
    }

    func testGlobalAveragePoolGradients() {
        GradientChecking.check(GlobalAveragePool1d(), input: GradientChecking.randomTensor([2, 3, 7], seed: 25))
    }

    func testSoftmaxGradients() {
        GradientChecking.check(Softmax(), input: GradientChecking.randomTensor([3, 5], seed: 26, scale: 3))
    }

    func testFlattenGradients() {
        GradientChecking.check(Flatten(), input: GradientChecking.randomTensor([2, 3, 4], seed: 27))
    }

    func testSequentialCompactStackGradients() {
        var rng = SeededRandom(seed: 28)
        let net = Sequential([
            Conv1d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng),
            BatchNorm(channels: 4), ReLU(), MaxPool1d(kernelSize: 2),
            Conv1d(inChannels: 4, outChannels: 5, kernelSize: 3, padding: 1, rng: &rng),
            GlobalAveragePool1d(), Linear(inFeatures: 5, outFeatures: 3, rng: &rng),
        ])
        GradientChecking.check(net, input: GradientChecking.randomTensor([3, 3, 8], seed: 29), samples: 12)
    }

    /// The checker itself must catch a wrong backward: a Linear whose weight gradient is 10 %
    /// too large, and one whose input gradient is dropped.
    func testGradientCheckerDetectsWrongBackwardPasses() {
        final class OffByTenPercent: Layer {
            let inner: Linear
            init(_ inner: Linear) { self.inner = inner }
            var parameters: [Parameter] { inner.parameters }
            func forward(_ input: Tensor, training: Bool) -> Tensor { inner.forward(input, training: training) }
            func backward(_ outputGrad: Tensor) -> Tensor {
                let dx = inner.backward(outputGrad)
                for i in inner.weight.grad.data.indices { inner.weight.grad.data[i] *= 1.1 }
                return dx
            }
        }
        final class NoInputGradient: Layer {
            let inner: Linear
            init(_ inner: Linear) { self.inner = inner }
            var parameters: [Parameter] { inner.parameters }
            func forward(_ input: Tensor, training: Bool) -> Tensor { inner.forward(input, training: training) }
            func backward(_ outputGrad: Tensor) -> Tensor {
                Tensor(zeros: inner.backward(outputGrad).shape)
            }
        }
        var rng = SeededRandom(seed: 40)
        let x = GradientChecking.randomTensor([3, 5], seed: 41)
        let scaled = GradientChecking.mismatches(OffByTenPercent(Linear(inFeatures: 5, outFeatures: 4, rng: &rng)), input: x)
        XCTAssert(scaled.contains { $0.contains("dweight") } && !scaled.contains { $0.contains("dInput") })
        let dropped = GradientChecking.mismatches(NoInputGradient(Linear(inFeatures: 5, outFeatures: 4, rng: &rng)), input: x)
        XCTAssert(dropped.contains { $0.contains("dInput") } && !dropped.contains { $0.contains("dweight") })
    }

    func testDropoutBackwardAppliesTheForwardMask() {
        let dropout = Dropout(rate: 0.5, seed: 30)
        let x = Tensor(shape: [2, 50], repeating: 1)
        let y = dropout.forward(x, training: true)
        let g = dropout.backward(Tensor(shape: [2, 50], repeating: 3))
        for i in y.data.indices {
            XCTAssert(y.data[i] == 0 || y.data[i] == 2, "kept values are scaled by 1/(1-p)")
            XCTAssertEqual(g.data[i], y.data[i] * 3, "gradient passes exactly where the value was kept")
        }
        XCTAssert(y.data.contains(0) && y.data.contains(2))
    }

    // MARK: Loss

    private func checkLoss(_ loss: CrossEntropyLoss, logits: Tensor, labels: [Int]) {
        let (_, grad) = loss(logits: logits, labels: labels)
        let eps = GradientChecking.epsilon
        for i in logits.data.indices {
            var p = logits, m = logits
            p.data[i] += eps; m.data[i] -= eps
            let numeric = (loss(logits: p, labels: labels).loss - loss(logits: m, labels: labels).loss) / (2 * eps)
            GradientChecking.assertClose(grad.data[i], numeric, "dLogits[\(i)]")
        }
    }

    func testCrossEntropyGradients() {
        checkLoss(CrossEntropyLoss(), logits: GradientChecking.randomTensor([4, 5], seed: 31, scale: 3), labels: [0, 4, 2, 2])
    }

    func testWeightedCrossEntropyGradients() {
        checkLoss(CrossEntropyLoss(classWeights: [1, 2, 0.5, 3, 1]),
                  logits: GradientChecking.randomTensor([4, 5], seed: 32, scale: 3), labels: [1, 3, 2, 0])
    }

    func testLabelSmoothedCrossEntropyGradients() {
        checkLoss(CrossEntropyLoss(labelSmoothing: 0.1),
                  logits: GradientChecking.randomTensor([3, 4], seed: 33, scale: 3), labels: [3, 0, 1])
    }
}
