import XCTest
@testable import NN

/// Finite-difference checking shared by the layer tests.
///
/// The scalar under test is `L = Σ forward(x) ⊙ R` for a fixed random `R`, so `dL/dy = R` and
/// `backward(R)` must equal the central difference `(L(x + ε) - L(x - ε)) / 2ε` for inputs and
/// parameters. Float32 forward passes limit the achievable agreement; with ε = 1e-3 a relative
/// error of 1e-2 (plus a small absolute floor for near-zero gradients) is the usual bar.
enum GradientChecking {
    static let epsilon: Float = 1e-3
    static let relativeTolerance: Float = 1e-2
    static let absoluteTolerance: Float = 2e-3

    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, awayFromZero: Float = 0) -> Tensor {
        var rng = SeededRandom(seed: seed)
        var t = Tensor(zeros: shape)
        for i in t.data.indices {
            var v = (rng.nextUniform() * 2 - 1) * scale
            if abs(v) < awayFromZero { v = v < 0 ? v - awayFromZero : v + awayFromZero }
            t.data[i] = v
        }
        return t
    }

    static func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
        var s: Double = 0
        for i in y.data.indices { s += Double(y.data[i]) * Double(r.data[i]) }
        return s
    }

    static func isClose(_ analytic: Float, _ numeric: Float) -> Bool {
        abs(analytic - numeric) <= absoluteTolerance + relativeTolerance * max(abs(analytic), abs(numeric))
    }

    static func assertClose(_ analytic: Float, _ numeric: Float, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssert(isClose(analytic, numeric), "\(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
    }

    /// Checks input and parameter gradients of `layer` at `input` (up to `samples` entries per
    /// tensor, chosen deterministically).
    static func check(_ layer: Layer, input: Tensor, training: Bool = true, samples: Int = 24,
                      file: StaticString = #filePath, line: UInt = #line) {
        let problems = mismatches(layer, input: input, training: training, samples: samples)
        XCTAssert(problems.isEmpty, problems.prefix(5).joined(separator: "\n"), file: file, line: line)
    }

    /// The gradient entries where backward and the finite difference disagree (empty when the
    /// layer's backward is right), plus any shape problem.
    static func mismatches(_ layer: Layer, input: Tensor, training: Bool = true, samples: Int = 24) -> [String] {
        var problems: [String] = []
        let y0 = layer.forward(input, training: training)
        let r = randomTensor(y0.shape, seed: 99)
        for p in layer.parameters { p.zeroGrad() }
        let dx = layer.backward(r)
        if dx.shape != input.shape { return ["input gradient shape \(dx.shape) != \(input.shape)"] }
        let paramGrads = layer.parameters.map { $0.grad }

        func loss(_ x: Tensor) -> Double { weightedSum(layer.forward(x, training: training), r) }

        var rng = SeededRandom(seed: 7)
        func indices(_ count: Int) -> [Int] {
            count <= samples ? Array(0..<count) : (0..<samples).map { _ in rng.nextIndex(below: count) }
        }
        for i in indices(input.count) {
            var xp = input, xm = input
            xp.data[i] += epsilon; xm.data[i] -= epsilon
            let numeric = Float((loss(xp) - loss(xm)) / Double(2 * epsilon))
            if !isClose(dx.data[i], numeric) {
                problems.append("\(type(of: layer)) dInput[\(i)]: analytic \(dx.data[i]) vs numeric \(numeric)")
            }
        }
        for (pi, p) in layer.parameters.enumerated() {
            for i in indices(p.value.count) {
                let original = p.value.data[i]
                p.value.data[i] = original + epsilon
                let lp = loss(input)
                p.value.data[i] = original - epsilon
                let lm = loss(input)
                p.value.data[i] = original
                let numeric = Float((lp - lm) / Double(2 * epsilon))
                if !isClose(paramGrads[pi].data[i], numeric) {
                    problems.append("\(type(of: layer)) d\(p.name)[\(i)]: analytic \(paramGrads[pi].data[i]) vs numeric \(numeric)")
                }
            }
        }
        return problems
    }
}
