import ArgumentParser

@main
struct EmotionD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emotiond",
        abstract: "Turns audio/video clips into emotion events (neutral, calm, happy, sad, angry, fearful, disgust, surprised).",
        discussion: """
        Clips are decoded with FFmpeg; speech goes through a 1D CNN over ZCR, RMS and MFCC features,
        faces (OpenCV Haar cascade) through a facial-expression CNN; the two softmax outputs are
        averaged (late fusion). See README.md and docs/ for the MQTT contract and operations.
        """,
        subcommands: [Serve.self, Config.self, Stats.self, Classify.self, Train.self, Evaluate.self, Bench.self])
}
