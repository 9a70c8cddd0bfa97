import CBLAS
import Foundation
import NN

/// The sgemm throughput of this machine through the same OpenBLAS the models use: the
/// denominator of the FLOP-based lower bound on model time in BENCHMARKS.md.
public enum BenchGemm {
    /// One measurement of `C = A * B` with square `size` matrices.
    public struct Result: Codable, Sendable, Equatable {
        public var size: Int
        public var threads: Int
        public var repeats: Int
        /// Best (shortest) of the timed calls, in milliseconds.
        public var bestMS: Double
        /// 2 * size^3 / best time, in GFLOP/s.
        public var gflops: Double
    }

    /// Times `repeats` row-major `cblas_sgemm` calls of `size`^3 after one warm-up call, with
    /// OpenBLAS limited to `threads` threads (restored afterwards).
    public static func measure(size: Int = 1024, repeats: Int = 5, threads: Int = 1) -> Result {
        let previous = BLASThreads.current
        BLASThreads.set(threads)
        defer { BLASThreads.set(previous) }
        let n = max(1, size)
        var a = [Float](repeating: 0, count: n * n), b = a, c = a
        for i in 0..<(n * n) {
            a[i] = Float((i * 7) % 13) / 13 - 0.5
            b[i] = Float((i * 5) % 11) / 11 - 0.5
        }
        func multiply() {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                    }
                }
            }
        }
        multiply()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            multiply()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return Result(size: n, threads: threads, repeats: max(1, repeats), bestMS: best, gflops: flops / (best / 1000) / 1e9)
    }
}
