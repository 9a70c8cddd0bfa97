/// A parsed input topic.
public struct InboundTopic: Equatable, Sendable {
    public var device: String
    public var kind: ClipKind
}
