/// im2col / col2im: the unrolling that turns a convolution into one sgemm.
///
/// Column matrices are laid out `[C * kernel, N * outputPositions]` (row-major): one row per
/// (input channel, kernel tap), one column per (batch item, output position). The whole batch
/// goes through a single sgemm, which keeps OpenBLAS efficient even when the late, short layers
/// of a network have only a handful of output positions per item. Out-of-range taps (padding)
/// read as zero in im2col and are dropped in col2im.
enum Im2col {
    /// 1-D unroll of `x [N, C, L]` into `cols [C*K, N*Lout]`.
    static func unroll1d(
        _ x: UnsafePointer<Float>, n: Int, c: Int, l: Int,
        kernel k: Int, stride s: Int, padding p: Int, outLength lo: Int,
        into cols: UnsafeMutablePointer<Float>
    ) {
        let colWidth = n * lo
        for ci in 0..<c {
            for ki in 0..<k {
                let row = cols + (ci * k + ki) * colWidth
                for ni in 0..<n {
                    let src = x + (ni * c + ci) * l
                    let dst = row + ni * lo
                    for li in 0..<lo {
                        let pos = li * s + ki - p
                        dst[li] = (pos >= 0 && pos < l) ? src[pos] : 0
                    }
                }
            }
        }
    }

    /// Adjoint of `unroll1d`: accumulates `cols [C*K, N*Lout]` into `dx [N, C, L]` (which the
    /// caller zeroes).
    static func fold1d(
        _ cols: UnsafePointer<Float>, n: Int, c: Int, l: Int,
        kernel k: Int, stride s: Int, padding p: Int, outLength lo: Int,
        into dx: UnsafeMutablePointer<Float>
    ) {
        let colWidth = n * lo
        for ci in 0..<c {
            for ki in 0..<k {
                let row = cols + (ci * k + ki) * colWidth
                for ni in 0..<n {
                    let dst = dx + (ni * c + ci) * l
                    let src = row + ni * lo
                    for li in 0..<lo {
                        let pos = li * s + ki - p
                        if pos >= 0 && pos < l { dst[pos] += src[li] }
                    }
                }
            }
        }
    }

    /// 2-D unroll of `x [N, C, H, W]` into `cols [C*KH*KW, N*Ho*Wo]`.
    static func unroll2d(
        _ x: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int,
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), out: (Int, Int),
        into cols: UnsafeMutablePointer<Float>
    ) {
        let (kh, kw) = kernel, (sh, sw) = stride, (ph, pw) = padding, (ho, wo) = out
        let plane = ho * wo
        let colWidth = n * plane
        for ci in 0..<c {
            for khi in 0..<kh {
                for kwi in 0..<kw {
                    let row = cols + ((ci * kh + khi) * kw + kwi) * colWidth
                    for ni in 0..<n {
                        let src = x + (ni * c + ci) * h * w
                        let dst = row + ni * plane
                        for oy in 0..<ho {
                            let iy = oy * sh + khi - ph
                            let line = dst + oy * wo
                            if iy < 0 || iy >= h {
                                line.update(repeating: 0, count: wo)
                                continue
                            }
                            let srcLine = src + iy * w
                            for ox in 0..<wo {
                                let ix = ox * sw + kwi - pw
                                line[ox] = (ix >= 0 && ix < w) ? srcLine[ix] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adjoint of `unroll2d`: accumulates cols into `dx [N, C, H, W]` (zeroed by the caller).
    static func fold2d(
        _ cols: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int,
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), out: (Int, Int),
        into dx: UnsafeMutablePointer<Float>
    ) {
        let (kh, kw) = kernel, (sh, sw) = stride, (ph, pw) = padding, (ho, wo) = out
        let plane = ho * wo
        let colWidth = n * plane
        for ci in 0..<c {
            for khi in 0..<kh {
                for kwi in 0..<kw {
                    let row = cols + ((ci * kh + khi) * kw + kwi) * colWidth
                    for ni in 0..<n {
                        let dst = dx + (ni * c + ci) * h * w
                        let src = row + ni * plane
                        for oy in 0..<ho {
                            let iy = oy * sh + khi - ph
                            if iy < 0 || iy >= h { continue }
                            let dstLine = dst + iy * w
                            let line = src + oy * wo
                            for ox in 0..<wo {
                                let ix = ox * sw + kwi - pw
                                if ix >= 0 && ix < w { dstLine[ix] += line[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `[A, B, S] -> [B, A, S]`: swaps the two leading axes of a 3-D block (used to move between
    /// the sgemm's channel-major result `[O, N, S]` and the batch-first activation `[N, O, S]`).
    static func swapLeadingAxes(
        _ src: UnsafePointer<Float>, a: Int, b: Int, s: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        for ai in 0..<a {
            for bi in 0..<b {
                (dst + (bi * a + ai) * s).update(from: src + (ai * b + bi) * s, count: s)
            }
        }
    }
}
