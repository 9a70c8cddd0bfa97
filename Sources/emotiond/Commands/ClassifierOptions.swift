import ArgumentParser
import Pipeline

/// Model selection shared by the commands that classify.
struct ClassifierOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory searched first for model files.", valueName: "dir"))
    var modelsDir: String?

    @Option(help: ArgumentHelp("Audio model file (default: models/audio-emotion.safetensors).", valueName: "file"))
    var audioModel: String?

    @Option(help: ArgumentHelp("Haar cascade XML (default: the opencv-data install).", valueName: "file"))
    var cascade: String?

    @Flag(help: "Skip the video branch (audio only).")
    var noVideo = false

    @Flag(help: "Skip the audio branch (video only).")
    var noAudio = false

    var configuration: ClassifierConfiguration {
        ClassifierConfiguration(modelsDirectory: modelsDir, audioModelPath: audioModel, cascadePath: cascade,
                                useAudio: !noAudio, useVideo: !noVideo)
    }
}
