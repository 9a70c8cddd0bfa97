import ArgumentParser
import Foundation
import Models
import NN
import Training

extension DINOv2Pooling: ExpressibleByArgument {
    public init?(argument: String) { self.init(metadataName: argument) }
}

struct TrainVideo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Train the paper's ViT video head (DINOv2 embeddings -> 2D CNN + 3 linear) and save it.",
        discussion: """
        Labels come from the folder's MANIFEST.csv (columns file,emotion) or, without one, from \
        RAVDESS file names found in the folder and its subfolders (third field = emotion 01..08).

        Each clip: 22 evenly spaced frames, the main face per frame (Haar cascade), an RGB crop \
        of --input-size pixels, one DINOv2 ViT-S/14 embedding per crop, giving a [22 x 384] \
        matrix cached in --cache (keyed by clip size and mtime, encoder weights, crop size, \
        pooling). Then the head trains with Adam; progress (epoch, loss, training accuracy, \
        ETA) goes to stderr. The model file is self-describing (emotiond-video-head-v1).

        This does not replace the default facial model (FER2013 mini-XCEPTION): see docs/VIDEO.md.

        Example, full RAVDESS video (Video_Speech_Actor_01..24 unpacked under one folder):
          emotiond train video --data ravdess-video-full --epochs 30 --out video-head.safetensors
        """)

    @Option(help: ArgumentHelp("Folder of video clips (MANIFEST.csv or RAVDESS file names).", valueName: "dir"))
    var data: String

    @Option(help: ArgumentHelp("Folder with \(DINOv2Encoder.weightsFileName).", valueName: "dir"))
    var encoderDir: String = "../shared/models"

    @Option(help: "Side of the RGB face crops given to DINOv2: 112 (2.9 GFLOP per face) or 224 (12.3).")
    var inputSize: Int = 112

    @Option(help: "Which DINOv2 output stands for a frame: cls or patch_mean.")
    var pooling: DINOv2Pooling = .cls

    @Option(help: "Epochs.")
    var epochs: Int = VideoTrainer.Recipe().epochs

    @Option(help: "Mini-batch size.")
    var batchSize: Int = VideoTrainer.Recipe().batchSize

    @Option(help: "Peak learning rate (cosine schedule).")
    var learningRate: Float = VideoTrainer.Recipe().learningRate

    @Option(help: "Random seed (initial weights and shuffles).")
    var seed: UInt64 = VideoTrainer.Recipe().seed

    @Option(help: ArgumentHelp("Cache the clips' embedding matrices here.", valueName: "dir"))
    var cache: String = ".build/video-embedding-cache"

    @Option(help: ArgumentHelp("Haar cascade XML (default: the opencv-data install).", valueName: "file"))
    var cascade: String?

    @Option(help: ArgumentHelp("Where to write the head.", valueName: "file"))
    var out: String = "video-head.safetensors"

    func validate() throws {
        guard [112, 224].contains(inputSize) else {
            throw ValidationError("--input-size must be 112 or 224 (got \(inputSize))")
        }
        guard epochs >= 1, batchSize >= 1, learningRate > 0 else {
            throw ValidationError("--epochs and --batch-size must be >= 1 and --learning-rate > 0")
        }
    }

    func run() throws {
        BLASThreads.set(ProcessInfo.processInfo.activeProcessorCount)
        let settings = VideoHeadSettings(inputSize: inputSize, pooling: pooling)
        let folder = URL(fileURLWithPath: data)
        logLine("video head: embeddings \(settings.summary)")
        let dataset = try VideoDataset.load(folder: folder, encoderDirectory: URL(fileURLWithPath: encoderDir),
                                            settings: settings, cacheDirectory: URL(fileURLWithPath: cache),
                                            cascadePath: cascade, log: logLine)
        guard !dataset.clips.isEmpty else {
            throw ValidationError("no clip with a face in \(data): nothing to train on")
        }
        let actors = Set(dataset.clips.compactMap(\.entry.actor)).count
        let emotions = Set(dataset.clips.map(\.entry.emotion)).sorted().map(\.rawValue)
        logLine("video head: training on \(dataset.clips.count) clips, \(actors) actors, emotions \(emotions.joined(separator: ", "))")
        let recipe = VideoTrainer.Recipe(epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
        let start = Date()
        let (head, history) = try VideoTrainer(recipe: recipe, log: logLine).train(on: dataset)
        let trainSeconds = Date().timeIntervalSince(start)
        let last = history.last!
        let provenance = [
            "model_id": "video-head-\(settings.inputSize)-\(dataset.digest.prefix(8))",
            "training_data_hash": dataset.digest,
            "protocol": recipe.json,
            "accuracy": String(format: #"{"train_accuracy":%.4f,"held_out":"none"}"#, last.accuracy),
            "trained_on": "\(dataset.clips.count) clips (\(actors) actors) of \(folder.lastPathComponent)",
            "train_seconds": String(format: "%.1f", trainSeconds),
        ]
        try head.save(to: URL(fileURLWithPath: out), settings: settings, provenance: provenance)
        logLine(String(format: "video head: embeddings %.1f s (%d computed, %d cached), training %.1f s, final loss %.4f, train acc %.1f %%",
                       dataset.embeddingSeconds, dataset.computed, dataset.cacheHits, trainSeconds, last.loss, 100 * last.accuracy))
        logLine("saved \(out) (\(provenance["model_id"]!))")
    }
}
