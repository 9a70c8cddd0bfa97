/// Resizes DINOv2's learned position table to the patch grid of the input.
///
/// The weights store the native 37x37 grid (518x518 input). For other inputs the graph resizes
/// it at run time with torch `F.interpolate(mode="bicubic", align_corners=False,
/// antialias=False)`; this reproduces exactly that rule (see ../shared/models/README.md):
/// Keys cubic with a = -0.75, half-pixel centres, border taps clamped, separable, y then x.
/// The class-token position is not resized.
enum DINOv2PositionEmbedding {
    /// Keys' cubic convolution kernel with a = -0.75.
    static func cubicWeight(_ x: Double) -> Double {
        let a = -0.75
        let t = abs(x)
        if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return 0
    }

    /// For each output index: the four clamped source indices and their weights.
    static func taps(input: Int, output: Int) -> [(indices: [Int], weights: [Double])] {
        (0..<output).map { i in
            let source = (Double(i) + 0.5) * Double(input) / Double(output) - 0.5
            let base = source.rounded(.down)
            let t = source - base
            let indices = (-1...2).map { min(max(Int(base) + $0, 0), input - 1) }
            let weights = (-1...2).map { cubicWeight(Double($0) - t) }
            return (indices, weights)
        }
    }

    /// The table for a `gridHeight x gridWidth` patch grid.
    ///
    /// - Parameters:
    ///   - table: `[1 + n*n, width]` rows: class position, then the `n x n` grid row-major.
    ///   - sourceGrid: `n` (37 for the shipped weights).
    /// - Returns: `[1 + gridHeight*gridWidth, width]` rows, class position first.
    static func interpolate(table: [Float], sourceGrid n: Int, width d: Int,
                            gridHeight: Int, gridWidth: Int) -> [Float] {
        precondition(table.count == (1 + n * n) * d)
        if gridHeight == n, gridWidth == n { return table }
        // Along y: [gridHeight, n, d].
        var rows = [Double](repeating: 0, count: gridHeight * n * d)
        for (oy, tap) in taps(input: n, output: gridHeight).enumerated() {
            for (k, sy) in tap.indices.enumerated() {
                let w = tap.weights[k]
                for x in 0..<n {
                    let src = (1 + sy * n + x) * d, dst = (oy * n + x) * d
                    for c in 0..<d { rows[dst + c] += w * Double(table[src + c]) }
                }
            }
        }
        // Along x: [gridHeight, gridWidth, d], after the class row.
        var out = [Float](repeating: 0, count: (1 + gridHeight * gridWidth) * d)
        for c in 0..<d { out[c] = table[c] }
        let xTaps = taps(input: n, output: gridWidth)
        var accumulator = [Double](repeating: 0, count: d)
        for oy in 0..<gridHeight {
            for (ox, tap) in xTaps.enumerated() {
                for c in 0..<d { accumulator[c] = 0 }
                for (k, sx) in tap.indices.enumerated() {
                    let w = tap.weights[k], src = (oy * n + sx) * d
                    for c in 0..<d { accumulator[c] += w * rows[src + c] }
                }
                let dst = (1 + oy * gridWidth + ox) * d
                for c in 0..<d { out[dst + c] = Float(accumulator[c]) }
            }
        }
        return out
    }
}
