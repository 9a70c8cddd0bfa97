import ArgumentParser
import Foundation
import Fusion
import NN
import Pipeline
import Training

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure accuracy: cross-validate a training recipe, or score a fixed model.",
        subcommands: [EvaluateAudio.self, EvaluateClips.self])
}

struct EvaluateAudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Cross-validate the audio recipe, or score a model file, on a labelled folder.",
        discussion: """
        Without --model: trains one model per fold with the recipe and tests it on the held-out fold. \
        --protocol speaker-independent uses the manifest's `fold` column (RAVDESS: 6 folds of 4 actors; \
        no test actor is ever heard in training) and reports the mean over folds; --protocol random uses \
        stratified random clip folds (same actors on both sides; only for comparison with papers that \
        did so).

        With --model FILE: classifies every clip of the folder (MANIFEST.csv with at least file,emotion; \
        some classes may be absent) with that model.

        Both print accuracy, macro-F1, balanced accuracy, per-class recall and the confusion matrix; \
        --confusion writes it as an SVG picture.

        Examples:
          emotiond evaluate audio --data ../shared/data/ravdess-speech --protocol speaker-independent --json
          emotiond evaluate audio --model models/audio-emotion.safetensors --data my-clips/
        """)

    @Option(help: ArgumentHelp("Dataset folder with MANIFEST.csv.", valueName: "dir"))
    var data: String

    @Option(help: ArgumentHelp("Score this model file instead of cross-validating the recipe.", valueName: "file"))
    var model: String?

    @Option(help: "speaker-independent or random (cross-validation only).")
    var `protocol`: EvaluationProtocol = .speakerIndependent

    @Option(parsing: .upToNextOption, help: "Run only these folds (e.g. --folds 1 2).")
    var folds: [Int] = []

    @OptionGroup var recipeOptions: RecipeOptions

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    @Option(help: ArgumentHelp("Write the (pooled) confusion matrix as an SVG picture.", valueName: "file.svg"))
    var confusion: String?

    func run() throws {
        BLASThreads.set(ProcessInfo.processInfo.activeProcessorCount)
        let folder = URL(fileURLWithPath: data)
        if let model {
            try scoreModel(model, folder: folder)
            return
        }
        let recipe = recipeOptions.recipe
        let dataset = try AudioDataset.load(folder: folder, recipe: recipe, augment: recipe.augment,
                                            cacheDirectory: URL(fileURLWithPath: recipeOptions.cache), log: logLine)
        let report = try CrossValidation.run(dataset: dataset, recipe: recipe, protocol: self.protocol,
                                             onlyFolds: folds.isEmpty ? nil : folds, log: logLine)
        print(json ? report.json : report.text)
        if let confusion {
            try ConfusionMatrixPlot.svg(report.pooled, title: "\(recipe.architecture.rawValue), \(self.protocol.rawValue), pooled over \(report.folds.count) folds")
                .write(toFile: confusion, atomically: true, encoding: .utf8)
        }
    }

    private func scoreModel(_ path: String, folder: URL) throws {
        let classifier = try ClipClassifier(configuration: ClassifierConfiguration(audioModelPath: path, useVideo: false))
        let entries = try Manifest.load(folder: folder)
        var metrics = ClassificationMetrics()
        var failures: [String] = []
        for entry in entries {
            do {
                let event = try classifier.classify([UInt8](try Data(contentsOf: entry.url)), clipID: entry.file)
                guard let audio = event.modalities.audio else { throw CLIError.input("no audible audio track") }
                metrics.add(truth: entry.emotion, predicted: audio.emotion)
            } catch {
                failures.append("\(entry.file): \(error)")
                logLine("skipped \(entry.file): \(error)")
            }
        }
        let summary = MetricsSummary(metrics)
        if json {
            struct Out: Encodable { var model: String; var data: String; var summary: MetricsSummary; var failures: [String] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(Out(model: path, data: folder.path, summary: summary, failures: failures)), as: UTF8.self))
        } else {
            print(String(format: "%@ on %@: %d clips, accuracy %.1f %%, macro-F1 %.3f, balanced accuracy %.1f %%",
                         path, folder.path, metrics.total, metrics.accuracy * 100, metrics.macroF1, metrics.balancedAccuracy * 100))
            print(ReportText.perClass(metrics), terminator: "")
        }
        if let confusion {
            try ConfusionMatrixPlot.svg(metrics, title: "\((path as NSString).lastPathComponent) on \(folder.lastPathComponent)")
                .write(toFile: confusion, atomically: true, encoding: .utf8)
        }
    }
}

extension EvaluationProtocol: ExpressibleByArgument {}

struct EvaluateClips: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clips",
        abstract: "Score the whole pipeline (audio, video, fused) with fixed models on a folder of clips.",
        discussion: """
        The folder needs a MANIFEST.csv with at least file,emotion. Prints, per clip, the truth and the \
        audio, video and fused answers with faces found, then accuracy per branch over the clips where \
        that branch answered.

        Example:
          emotiond evaluate clips --data ../shared/data/ravdess-video
        """)

    @Option(help: ArgumentHelp("Folder with MANIFEST.csv and the clips.", valueName: "dir"))
    var data: String

    @OptionGroup var models: ClassifierOptions

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    func run() throws {
        let classifier = try ClipClassifier(configuration: models.configuration)
        let report = ClipEvaluation.run(classifier, entries: try Manifest.load(folder: URL(fileURLWithPath: data)))
        print(json ? report.json : report.text, terminator: json ? "\n" : "")
    }
}
