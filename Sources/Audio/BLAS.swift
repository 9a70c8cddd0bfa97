import CBLAS

/// The Audio module's only contact with the C BLAS API.
///
/// Why a wrapper: `cblas_sgemm` takes fifteen positional arguments, two of them C enums and all
/// sizes as `blasint`. Naming the arguments here keeps the numeric code readable and keeps the
/// C types out of it.
enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, all matrices row-major.
    ///
    /// - Parameters:
    ///   - transposeA: use `A^T`; `A` is then stored `[k x m]`.
    ///   - transposeB: use `B^T`; `B` is then stored `[n x k]`.
    ///   - m, n, k: `op(A)` is `[m x k]`, `op(B)` is `[k x n]`, `C` is `[m x n]`.
    ///   - lda, ldb, ldc: row strides of the stored matrices (in elements).
    static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}
