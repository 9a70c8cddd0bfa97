import Foundation
import Fusion

/// An SVG timeline of one device: a stacked bar per bucket showing the share of each
/// emotion, a legend with the eight fixed colours, a percentage axis and UTC time labels.
/// Plain SVG 1.1 with no scripts or external references, viewable in any browser.
public struct TimelinePlot: Sendable {
    /// Fixed colours per emotion (in `Emotion` order), chosen to stay distinguishable.
    public static let colors = [
        "#9e9e9e",  // neutral
        "#80cbc4",  // calm
        "#ffd54f",  // happy
        "#5c6bc0",  // sad
        "#e53935",  // angry
        "#8e24aa",  // fearful
        "#7cb342",  // disgust
        "#fb8c00",  // surprised
    ]

    /// Title above the plot; default names the device.
    public var title: String?
    /// Plot area height in pixels. Default 240.
    public var plotHeight: Double = 240
    /// Width of one bucket slot in pixels (bar plus gap), default 18; narrowed when the
    /// buckets would not fit in `maxPlotWidth`.
    public var slotWidth: Double = 18
    /// Widest plot area in pixels before slots get narrower. Default 1200.
    public var maxPlotWidth: Double = 1200

    public init(title: String? = nil) {
        self.title = title
    }

    /// The SVG document for `device`'s rows (other devices' rows are ignored; buckets without
    /// clips get no bar).
    public func svg(rows: [StatsRow], device: String) -> String {
        let bars = rows.filter { $0.device == device && $0.clips > 0 }.sorted { $0.bucketStart < $1.bucketStart }
        let left = 56.0, top = 40.0, legendWidth = 150.0, bottom = 112.0
        let slotWidth = bars.isEmpty ? self.slotWidth : min(self.slotWidth, max(1, maxPlotWidth / Double(bars.count)))
        let plotWidth = max(Double(bars.count) * slotWidth, 200)
        let width = left + plotWidth + 20 + legendWidth
        let height = top + plotHeight + bottom
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(fmt(width))" height="\(fmt(height))" viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="11">
            <rect x="0" y="0" width="\(fmt(width))" height="\(fmt(height))" fill="#ffffff"/>
            <text x="\(fmt(left))" y="22" font-size="14" font-weight="bold">\(escape(title ?? "Emotion shares for \(device)"))</text>

            """
        // Y axis with grid lines at 0, 25, 50, 75, 100 %.
        s += "<g class=\"y-axis\">\n"
        for pct in stride(from: 0, through: 100, by: 25) {
            let y = top + plotHeight * (1 - Double(pct) / 100)
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(y))\" stroke=\"#e0e0e0\"/>\n"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(pct)%</text>\n"
        }
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top))\" x2=\"\(fmt(left))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#000000\"/>\n"
        s += "<text transform=\"translate(14 \(fmt(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">share of clips</text>\n"
        s += "</g>\n"

        // Bars.
        let barWidth = slotWidth * 0.8
        let labelEvery = max(1, Int((Double(bars.count) * 14 / plotWidth).rounded(.up)), Int((Double(bars.count) / 24).rounded(.up)))
        for (i, row) in bars.enumerated() {
            let x = left + Double(i) * slotWidth + (slotWidth - barWidth) / 2
            let time = StatsFormatter.label(row.bucketStart, row.bucket)
            s += "<g class=\"bar\" data-bucket=\"\(RFC3339.string(from: row.bucketStart))\" data-clips=\"\(row.clips)\">\n"
            s += "<title>\(escape(time)): \(row.clips) clips, dominant \(row.dominant?.rawValue ?? "-")</title>\n"
            var y = top + plotHeight
            for e in Emotion.allCases {
                let share = row.shares[e.index]
                guard share > 0 else { continue }
                let h = share * plotHeight
                y -= h
                s += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(h))\" fill=\"\(Self.colors[e.index])\" data-emotion=\"\(e.rawValue)\"/>\n"
            }
            s += "</g>\n"
            if i % labelEvery == 0 {
                let lx = x + barWidth / 2, ly = top + plotHeight + 10
                s += "<text x=\"\(fmt(lx))\" y=\"\(fmt(ly))\" transform=\"rotate(45 \(fmt(lx)) \(fmt(ly)))\" font-size=\"9\">\(escape(time))</text>\n"
            }
        }
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top + plotHeight))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#000000\"/>\n"
        if bars.isEmpty {
            s += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#757575\">no clips</text>\n"
        }
        s += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\">time (UTC, \(bars.first?.bucket.rawValue ?? "bucket") buckets)</text>\n"

        // Legend.
        let lx = left + plotWidth + 20
        s += "<g class=\"legend\">\n"
        for e in Emotion.allCases {
            let ly = top + Double(e.index) * 18
            s += "<rect x=\"\(fmt(lx))\" y=\"\(fmt(ly))\" width=\"12\" height=\"12\" fill=\"\(Self.colors[e.index])\"/>\n"
            s += "<text x=\"\(fmt(lx + 18))\" y=\"\(fmt(ly + 10))\">\(e.rawValue)</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }

    /// Writes `svg(rows:device:)` to `url` atomically.
    public func write(rows: [StatsRow], device: String, to url: URL) throws {
        try svg(rows: rows, device: device).write(to: url, atomically: true, encoding: .utf8)
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
