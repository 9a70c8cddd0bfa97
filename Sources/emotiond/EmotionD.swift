import ArgumentParser

@main
struct EmotionD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emotiond",
        abstract: "Turns audio/video clips into emotion events.",
        subcommands: [])
}
