import CBLAS

/// The process-wide OpenBLAS thread count.
///
/// OpenBLAS keeps its own thread pool. When several workers each run a forward pass at the same
/// time, every sgemm would otherwise try to use every core and the threads fight (on 2 cores that
/// costs more than it gains). Callers that parallelise across clips set this to 1; a single
/// trainer may set it to the core count. This is the only place NN talks to OpenBLAS's
/// configuration API.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS may use for one call (clamped to at least 1).
    public static func set(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// Thin row-major sgemm wrapper: `C = alpha * op(A) * op(B) + beta * C`.
///
/// `A` is `m x k` after `op`, `B` is `k x n` after `op`, `C` is `m x n`; leading dimensions are
/// those of the stored (untransposed) row-major matrices. Kept in this file so that the layer
/// files stay free of C interop.
@inline(__always)
func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS would only scale C by beta; do the same explicitly.
        for i in 0..<(m * ldc) { c[i] *= beta }
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb),
        beta, c, Int32(ldc))
}
