import Foundation

/// Finds the shipped model files without any path coming from a payload.
///
/// Search order: an explicitly configured directory, `$EMOTIOND_MODELS_DIR`, the install
/// location next to the binary (`<bin>/../share/emotiond/models`), the `models/` folder of a
/// source checkout (next to `.build/<config>/emotiond`), then `./models`.
public enum ModelLocator {
    /// Default file name of the audio model trained by `emotiond train audio`.
    public static let audioModelFileName = "audio-emotion.safetensors"

    public static func candidateDirectories(configured: String? = nil) -> [URL] {
        var dirs: [URL] = []
        if let configured { dirs.append(URL(fileURLWithPath: configured)) }
        if let env = ProcessInfo.processInfo.environment["EMOTIOND_MODELS_DIR"], !env.isEmpty {
            dirs.append(URL(fileURLWithPath: env))
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        dirs.append(exe.appendingPathComponent("../share/emotiond/models").standardized)
        // .build/<triple>/<config>/emotiond or .build/<config>/emotiond in a checkout.
        dirs.append(exe.appendingPathComponent("../../models").standardized)
        dirs.append(exe.appendingPathComponent("../../../models").standardized)
        dirs.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("models"))
        return dirs
    }

    /// The first candidate directory holding `fileName`.
    public static func locate(_ fileName: String, configured: String? = nil) -> URL? {
        for dir in candidateDirectories(configured: configured) {
            let url = dir.appendingPathComponent(fileName)
            if FileManager.default.isReadableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
