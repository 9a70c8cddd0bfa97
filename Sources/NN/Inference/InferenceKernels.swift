import CBLAS

/// Forward-only numeric kernels for running pretrained networks (mini-XCEPTION, DINOv2).
///
/// Why separate from the training layers: these kernels never keep activations for a backward
/// pass, work on caller-owned buffers, and use the layouts the pretrained files come in
/// (NHWC for Keras convolutions, `[tokens, features]` rows for transformers). Heavy work goes
/// through OpenBLAS sgemm; the rest are simple loops over contiguous memory that the compiler
/// vectorises in release builds.
public enum InferenceKernels {
    /// Row-major `C = alpha * op(A) * op(B) + beta * C` with explicit leading dimensions
    /// (elements per row), so sub-matrices (attention heads) can be addressed in place.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `rows x columns` output filled with `bias` on every row (the usual start of `x W + b`).
    @inlinable
    public static func broadcastRows(_ bias: UnsafePointer<Float>, rows: Int, columns: Int,
                                     into output: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (output + r * columns).update(from: bias, count: columns) }
    }
}
