import Foundation
import Fusion
import XCTest
@testable import Store
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The SVG timeline is well-formed XML with one stacked bar per bucket and a full legend.
final class TimelinePlotTests: XCTestCase {
    func testSVGIsWellFormedWithOneBarPerBucketAndALegend() throws {
        let dir = try TempDirectory()
        let store = try AggregateStore(path: dir.path("s.sqlite"))
        try store.record(batch: StoreFixtures.series(device: "cam & <1>", count: 300, spacing: 61) + StoreFixtures.series(device: "cam2", count: 30, seed: 5))
        let rows = try StatsQuery(files: [store.path], bucket: .minute).run()
        let camRows = rows.filter { $0.device == "cam & <1>" }
        XCTAssertEqual(camRows.count, 300 * 61 / 60 + 1 - camRows.filter { $0.clips == 0 }.count, accuracy: 6)

        let url = dir.url.appendingPathComponent("timeline.svg")
        try TimelinePlot().write(rows: rows, device: "cam & <1>", to: url)
        let document = try XMLDocument(contentsOf: url, options: [])
        let root = try XCTUnwrap(document.rootElement())
        XCTAssertEqual(root.name, "svg")
        let bars = try root.nodes(forXPath: "//*[local-name()='g'][@class='bar']")
        XCTAssertEqual(bars.count, camRows.count)
        // Each bar's segments stack to the full plot height (shares sum to 1).
        for case let bar as XMLElement in bars.prefix(20) {
            let heights = try bar.nodes(forXPath: "*[local-name()='rect']/@height").compactMap { $0.stringValue.flatMap(Double.init) }
            XCTAssertFalse(heights.isEmpty)
            XCTAssertEqual(heights.reduce(0, +), 240, accuracy: 0.5 * Double(heights.count))
            let clips = try bar.nodes(forXPath: "@data-clips").first?.stringValue.flatMap(Int.init)
            XCTAssertGreaterThan(clips ?? 0, 0)
        }
        let legend = try root.nodes(forXPath: "//*[local-name()='g'][@class='legend']/*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertEqual(legend, Emotion.allCases.map(\.rawValue))
        let title = try root.nodes(forXPath: "//*[local-name()='text']").first?.stringValue
        XCTAssertEqual(title, "Emotion shares for cam & <1>", "device name escaped and restored by the parser")
        let timeLabels = try root.nodes(forXPath: "//*[local-name()='text'][@font-size='9']").compactMap(\.stringValue)
        XCTAssertFalse(timeLabels.isEmpty)
        XCTAssertTrue(timeLabels.allSatisfy { $0.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"#, options: .regularExpression) != nil }, "\(timeLabels)")
    }

    func testEmptyDeviceStillGivesAValidDocument() throws {
        let svg = TimelinePlot(title: "nothing").svg(rows: [], device: "ghost")
        let document = try XMLDocument(xmlString: svg, options: [])
        XCTAssertEqual(try document.rootElement()?.nodes(forXPath: "//*[local-name()='g'][@class='bar']").count, 0)
        XCTAssertTrue(svg.contains("no clips"))
    }
}
