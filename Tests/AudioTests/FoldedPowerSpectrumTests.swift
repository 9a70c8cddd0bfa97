import XCTest
@testable import Audio

/// The folded DFT must equal the textbook real DFT (as one plain matrix) for any window
/// length and placement, not only the default 400-in-512.
final class FoldedPowerSpectrumTests: XCTestCase {
    func testMatchesPlainDFTForSeveralWindowLengths() {
        var generator = SeededGenerator(seed: 11)
        for (size, windowLength) in [(512, 400), (512, 512), (64, 63), (64, 1), (256, 130), (8, 5)] {
            let window = SpectralBasis.periodicHann(windowLength).map { $0 + 0.1 }  // asymmetric-safe, no zero taps
            let frames = 5, hop = size / 3 + 1
            let signal = (0 ..< size + hop * (frames - 1)).map { _ in Float(generator.nextGaussianPair().0) }
            let folded = FoldedPowerSpectrum(size: size, window: window)
            var power = [Float](repeating: 0, count: (size / 2 + 1) * frames)
            signal.withUnsafeBufferPointer { s in
                power.withUnsafeMutableBufferPointer { p in
                    folded.power(of: s.baseAddress!, hop: hop, frames: frames, into: p.baseAddress!)
                }
            }
            let offset = (size - windowLength) / 2
            for t in 0 ..< frames {
                for k in 0 ... size / 2 {
                    var re = 0.0, im = 0.0
                    for j in 0 ..< windowLength {
                        let n = offset + j
                        let x = Double(signal[t * hop + n]) * Double(window[j])
                        re += x * SpectralBasis.cosTurn(k, n, size)
                        im -= x * SpectralBasis.sinTurn(k, n, size)
                    }
                    let expected = re * re + im * im
                    let got = Double(power[k * frames + t])
                    XCTAssertEqual(got, expected, accuracy: 1e-4 * (1 + expected) + 1e-5 * Double(windowLength),
                                   "N \(size) W \(windowLength) frame \(t) bin \(k)")
                }
            }
        }
    }
}
