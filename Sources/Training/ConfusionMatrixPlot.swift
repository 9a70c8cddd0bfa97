import Foundation
import Fusion

/// Draws a confusion matrix as an SVG picture: rows are the true class, columns the predicted
/// one, each cell shaded by its share of the row (recall) and labelled with its count.
///
/// SVG because it needs no image library and any browser shows it.
public enum ConfusionMatrixPlot {
    public static func svg(_ metrics: ClassificationMetrics, title: String) -> String {
        let labels = Emotion.allCases.map(\.rawValue)
        let cell = 56, left = 110, top = 70
        let size = cell * labels.count
        let width = left + size + 30, height = top + size + 60
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="20" text-anchor="middle" font-size="14" font-weight="bold">\(escape(title))</text>
        <text x="\(left + size / 2)" y="\(top - 36)" text-anchor="middle">predicted</text>
        <text x="16" y="\(top + size / 2)" text-anchor="middle" transform="rotate(-90 16 \(top + size / 2))">true</text>

        """
        let support = metrics.support
        for (j, label) in labels.enumerated() {
            s += "<text x=\"\(left + j * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\" font-size=\"10\">\(label)</text>\n"
        }
        for (i, label) in labels.enumerated() {
            let y = top + i * cell
            s += "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\">\(label) (\(support[i]))</text>\n"
            for j in 0..<labels.count {
                let count = metrics.confusion[i][j]
                let share = support[i] == 0 ? 0 : Double(count) / Double(support[i])
                // White to dark blue by row share; text flips to white on dark cells.
                let shade = Int(255 - share * 200)
                let fill = "rgb(\(shade),\(Int(255 - share * 140)),255)"
                let x = left + j * cell
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill)\" stroke=\"#999\"/>"
                s += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" fill=\"\(share > 0.55 ? "white" : "black")\">\(count)</text>\n"
            }
        }
        let summary = String(format: "n=%d  accuracy %.1f %%  macro-F1 %.3f  balanced accuracy %.1f %%",
                             metrics.total, metrics.accuracy * 100, metrics.macroF1, metrics.balancedAccuracy * 100)
        s += "<text x=\"\(width / 2)\" y=\"\(top + size + 30)\" text-anchor=\"middle\">\(summary)</text>\n</svg>\n"
        return s
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
