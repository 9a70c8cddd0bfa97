import Foundation

/// sd_notify failed (the socket is gone or refuses datagrams).
public struct SystemdNotifierError: Error, Equatable, CustomStringConvertible {
    public var socket: String
    public var errno: Int32
    public var description: String { "sd_notify to \(socket): \(String(cString: strerror(errno)))" }
}
