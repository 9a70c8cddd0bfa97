import XCTest
@testable import Audio

/// The FFT power spectrum must equal the textbook real DFT for any window length and
/// placement, not only the default 400-in-512.
final class FFTPowerSpectrumTests: XCTestCase {
    func testMatchesPlainDFTForSeveralWindowLengths() {
        var generator = SeededGenerator(seed: 11)
        for (size, windowLength) in [(512, 400), (512, 512), (64, 63), (64, 1), (256, 130), (8, 5), (4, 3), (2048, 1000)] {
            let window = SpectralBasis.periodicHann(windowLength).map { $0 + 0.1 }  // asymmetric-safe, no zero taps
            let frames = 5, hop = size / 3 + 1
            let signal = (0 ..< size + hop * (frames - 1)).map { _ in Float(generator.nextGaussianPair().0) }
            let spectrum = FFTPowerSpectrum(size: size, window: window)
            var power = [Float](repeating: 0, count: (size / 2 + 1) * frames)
            signal.withUnsafeBufferPointer { s in
                power.withUnsafeMutableBufferPointer { p in
                    spectrum.power(of: s.baseAddress!, hop: hop, frames: frames, into: p.baseAddress!)
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
