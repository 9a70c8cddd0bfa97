import Foundation

/// Synthetic signals and measurements shared by the Audio tests.
enum TestSignals {
    static func sine(frequency: Double, amplitude: Float = 0.5, seconds: Double, sampleRate: Int = 16000,
                     phase: Double = 0.3) -> [Float] {
        (0 ..< Int(seconds * Double(sampleRate))).map {
            amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate) + phase))
        }
    }

    /// Frequency of a (nearly) pure tone from its zero crossings between `from` and `to` (in
    /// samples), with crossing instants interpolated linearly; accurate to well under 0.1 %.
    static func toneFrequency(_ x: [Float], from: Int, to: Int, sampleRate: Int = 16000) -> Double {
        var crossings: [Double] = []
        for i in max(1, from) ..< min(to, x.count) where (x[i - 1] < 0) != (x[i] < 0) {
            let fraction = Double(x[i - 1]) / Double(x[i - 1] - x[i])
            crossings.append(Double(i - 1) + fraction)
        }
        guard crossings.count >= 3 else { return 0 }
        let span = (crossings.last! - crossings.first!) / Double(sampleRate)
        return Double(crossings.count - 1) / (2 * span)
    }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
    }

    /// Time (in samples) of the centre of energy.
    static func energyCentroid(_ x: [Float]) -> Double {
        var weighted = 0.0, total = 0.0
        for (i, v) in x.enumerated() {
            let e = Double(v) * Double(v)
            weighted += Double(i) * e
            total += e
        }
        return weighted / total
    }
}
