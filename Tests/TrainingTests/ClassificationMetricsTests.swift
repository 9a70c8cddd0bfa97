import XCTest
import Fusion
@testable import Training

final class ClassificationMetricsTests: XCTestCase {
    func testFiguresFromAKnownConfusionMatrix() {
        // 4 happy (3 right, 1 called sad), 2 sad (both right), 2 angry (1 right, 1 called happy).
        let truth: [Emotion] = [.happy, .happy, .happy, .happy, .sad, .sad, .angry, .angry]
        let predicted: [Emotion] = [.happy, .happy, .happy, .sad, .sad, .sad, .angry, .happy]
        let m = ClassificationMetrics(truth: truth, predicted: predicted)
        XCTAssertEqual(m.total, 8)
        XCTAssertEqual(m.accuracy, 6.0 / 8.0, accuracy: 1e-12)
        // Recall: happy 3/4, sad 2/2, angry 1/2 -> balanced accuracy over the 3 present classes.
        XCTAssertEqual(m.balancedAccuracy, (0.75 + 1 + 0.5) / 3, accuracy: 1e-12)
        // Precision: happy 3/4, sad 2/3, angry 1/1.
        let f1Happy = 0.75, f1Sad = 2 * (2.0 / 3) * 1 / (2.0 / 3 + 1), f1Angry = 2 * 1 * 0.5 / 1.5
        XCTAssertEqual(m.macroF1, (f1Happy + f1Sad + f1Angry) / 3, accuracy: 1e-12)
        XCTAssertNil(m.recall[Emotion.calm.index], "absent classes are not scored")
    }

    func testPoolingFoldsAddsCounts() {
        let a = ClassificationMetrics(truth: [.calm], predicted: [.calm])
        let b = ClassificationMetrics(truth: [.calm, .fearful], predicted: [.neutral, .fearful])
        let pooled = a + b
        XCTAssertEqual(pooled.total, 3)
        XCTAssertEqual(pooled.confusion[Emotion.calm.index][Emotion.neutral.index], 1)
        XCTAssertEqual(pooled.accuracy, 2.0 / 3.0, accuracy: 1e-12)
    }

    func testConfusionPictureIsSVGWithEveryCount() {
        let m = ClassificationMetrics(truth: [.happy, .sad, .sad], predicted: [.happy, .sad, .happy])
        let svg = ConfusionMatrixPlot.svg(m, title: "a < b & c")
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.contains("a &lt; b &amp; c"))
        XCTAssertEqual(svg.components(separatedBy: "<rect x=").count - 1, 64, "one cell per (truth, predicted) pair")
        XCTAssertTrue(svg.contains("sad (2)"))
    }
}

final class ManifestTests: XCTestCase {
    func testReadsRequiredAndOptionalColumns() throws {
        let text = "file,actor,fold,emotion\nActor_03/03-01-05-01-01-01-03.flac,3,1,angry\nx.wav,,,Fear\n"
        let entries = try Manifest.parse(text, folder: URL(fileURLWithPath: "/data"))
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0].emotion, .angry)
        XCTAssertEqual(entries[0].actor, 3)
        XCTAssertEqual(entries[0].fold, 1)
        XCTAssertEqual(entries[0].url.path, "/data/Actor_03/03-01-05-01-01-01-03.flac")
        XCTAssertEqual(entries[1].emotion, .fearful)
        XCTAssertNil(entries[1].fold)
    }

    func testActorFromRavdessFileNameWhenNoColumn() throws {
        let entries = try Manifest.parse("file,emotion\n01-01-08-02-01-01-19.mp4,surprised\n", folder: URL(fileURLWithPath: "/d"))
        XCTAssertEqual(entries[0].actor, 19)
    }

    func testRejectsMissingColumnsUnknownLabelsAndEscapingPaths() {
        XCTAssertThrowsError(try Manifest.parse("path,label\na,b\n", folder: URL(fileURLWithPath: "/d")))
        XCTAssertThrowsError(try Manifest.parse("file,emotion\na.wav,bored\n", folder: URL(fileURLWithPath: "/d")))
        XCTAssertThrowsError(try Manifest.parse("file,emotion\n../../etc/passwd,happy\n", folder: URL(fileURLWithPath: "/d")))
    }

    func testReadsTheRealRavdessManifest() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/data/ravdess-speech").standardized
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("MANIFEST.csv").path) else {
            throw XCTSkip("../shared/data/ravdess-speech not present")
        }
        let entries = try Manifest.load(folder: folder)
        XCTAssertEqual(entries.count, 1440)
        XCTAssertEqual(Set(entries.compactMap(\.fold)), Set(1...6))
        // Speaker independence: every actor sits in exactly one fold.
        let foldsPerActor = Dictionary(grouping: entries, by: { $0.actor! }).mapValues { Set($0.map(\.fold!)) }
        XCTAssertTrue(foldsPerActor.values.allSatisfy { $0.count == 1 })
    }
}
