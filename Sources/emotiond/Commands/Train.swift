import ArgumentParser
import Foundation
import Models
import NN
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model.",
        subcommands: [TrainAudio.self, TrainVideo.self])
}

/// Recipe options shared by `train audio` and `evaluate audio` (cross-validation trains too).
struct RecipeOptions: ParsableArguments {
    @Option(help: "Network: paper (Srihari & Bhaskaran's 1D CNN) or compact.")
    var arch: AudioEmotionNet.Architecture = .compact

    @Option(help: "Epochs (default: the architecture's recipe).")
    var epochs: Int?

    @Option(help: "Mini-batch size (default: the recipe's).")
    var batchSize: Int?

    @Option(help: "Peak learning rate (default: the recipe's).")
    var learningRate: Float?

    @Flag(help: "Add the paper's noise / pitch / noise+pitch copies of every training clip (off by default: it hurt held-out accuracy here).")
    var augment = false

    @Option(help: "Random seed (default: the recipe's).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Cache computed features here (reused when the data and settings match).", valueName: "dir"))
    var cache: String = ".build/feature-cache"

    var recipe: AudioRecipe {
        var r = AudioRecipe.default(for: arch)
        if let epochs { r.epochs = epochs }
        if let batchSize { r.batchSize = batchSize }
        if let learningRate { r.learningRate = learningRate }
        if let seed { r.seed = seed }
        r.augment = augment
        return r
    }
}

extension AudioEmotionNet.Architecture: ExpressibleByArgument {}

struct TrainAudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Train the speech-emotion CNN on every clip of a folder and save it.",
        discussion: """
        The folder needs a MANIFEST.csv with at least the columns file,emotion. Progress (epoch, loss, \
        training accuracy, ETA) goes to stderr. The model file is self-describing: its metadata holds \
        the architecture, labels, feature settings, recipe, a digest of the training data and, with \
        --cv-report, the cross-validated figures.

        Example (the shipped model):
          emotiond evaluate audio --data ../shared/data/ravdess-speech --json > cv.json
          emotiond train audio --data ../shared/data/ravdess-speech --cv-report cv.json
        """)

    @Option(help: ArgumentHelp("Dataset folder with MANIFEST.csv.", valueName: "dir"))
    var data: String

    @OptionGroup var recipeOptions: RecipeOptions

    @Option(help: ArgumentHelp("Where to write the model.", valueName: "file"))
    var out: String = "models/audio-emotion.safetensors"

    @Option(help: ArgumentHelp("JSON from `evaluate audio --json` to store as the model's measured accuracy.", valueName: "file"))
    var cvReport: String?

    @Option(parsing: .upToNextOption,
            help: "Leave these actors out of training (e.g. to score fusion on their video clips held-out).")
    var excludeActors: [Int] = []

    func run() throws {
        let recipe = recipeOptions.recipe
        BLASThreads.set(ProcessInfo.processInfo.activeProcessorCount)
        let dataset = try AudioDataset.load(folder: URL(fileURLWithPath: data), recipe: recipe, augment: recipe.augment,
                                            cacheDirectory: URL(fileURLWithPath: recipeOptions.cache), log: logLine)
        let start = Date()
        let clips = dataset.entries.indices.filter { i in !(dataset.entries[i].actor.map(excludeActors.contains) ?? false) }
        let net = try AudioTrainer(recipe: recipe, log: logLine).train(on: dataset, clips: clips, label: "\(clips.count) clips")
        let accuracy = try cvReport.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? "{}"
        let metadata = AudioModelMetadata(
            modelID: "audio-\(recipe.architecture.rawValue)-\(dataset.digest.prefix(8))"
                + (excludeActors.isEmpty ? "" : "-without-" + excludeActors.sorted().map(String.init).joined(separator: "-")),
            featureConfig: recipe.features.configJSON, trainingDataHash: dataset.digest,
            trainingProtocol: recipe.json, accuracy: accuracy,
            extra: ["trained_on": "\(clips.count) clips of \(URL(fileURLWithPath: data).lastPathComponent)"
                        + (excludeActors.isEmpty ? "" : ", actors \(excludeActors.sorted()) left out"),
                    "train_seconds": String(format: "%.0f", Date().timeIntervalSince(start))])
        try ModelFile.saveAudioModel(net, metadata: metadata, to: URL(fileURLWithPath: out))
        logLine("saved \(out) (\(metadata.modelID))")
    }
}

/// Progress and diagnostics go to stderr so that --json output on stdout stays clean.
func logLine(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
