/// Error codes the daemon itself assigns (others come from ``IntakeRejection``, ``SpoolError``,
/// ``TopicError`` and the ``CodedError``s of the media and model modules). docs/MQTT.md lists them.
public enum DaemonErrorCode {
    /// The work queue was full under `reject_new`: the new clip was refused.
    public static let queueFull = "queue_full"
    /// The work queue was full under `drop_oldest`: this queued clip was evicted.
    public static let dropped = "dropped"
    /// Processing failed with an error that has no code of its own.
    public static let processingFailed = "processing_failed"

    /// The code for any error: its own when it is a ``CodedError``, else ``processingFailed``.
    public static func code(for error: Error) -> String {
        (error as? CodedError)?.code ?? processingFailed
    }

    /// The human-readable `message` of an error event: the error's description without a
    /// leading "<code>: " (the code has its own field).
    public static func message(for error: Error) -> String {
        let text = "\(error)"
        let prefix = code(for: error) + ": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }
}

extension SpoolError: CodedError {}
extension TopicError: CodedError {}
