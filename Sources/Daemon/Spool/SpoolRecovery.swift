/// What ``Spool/recover()`` found at start.
public struct SpoolRecovery: Equatable, Sendable {
    /// Intact journal files, oldest first: to be processed again.
    public var entries: [SpoolEntry]
    /// Temporary files of writes interrupted by a crash, deleted.
    public var removedPartials: Int
    /// Journal files with a bad header or length, deleted.
    public var removedCorrupt: Int
}
