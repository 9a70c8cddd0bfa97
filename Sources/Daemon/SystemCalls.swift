import Foundation
import Glibc

/// The few libc calls (Linux; the daemon targets Debian) the daemon makes directly, each turning -1/errno into a thrown
/// ``SystemCallError`` (the swift-nio System.swift pattern). Everything else uses Foundation.
enum SystemCalls {
    /// Creates `path` exclusively for writing (mode 0600).
    static func createExclusive(_ path: String) throws -> Int32 {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        if fd < 0 { throw SystemCallError(call: "open", path: path, errno: errno) }
        return fd
    }

    static func openReadOnly(_ path: String, directory: Bool = false) throws -> Int32 {
        let flags = O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)
        let fd = retryingEINTR { open(path, flags) }
        if fd < 0 { throw SystemCallError(call: "open", path: path, errno: errno) }
        return fd
    }

    /// Writes all of `bytes`, looping over short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        if retryingEINTR({ Glibc.fsync(fd) }) != 0 { throw SystemCallError(call: "fsync", path: path, errno: errno) }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw SystemCallError(call: "rename", path: to, errno: errno) }
    }

    /// Removes a file; a missing file is not an error.
    static func unlink(_ path: String) throws {
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw SystemCallError(call: "unlink", path: path, errno: errno) }
    }

    /// Makes a directory's entries (renames, unlinks) durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try openReadOnly(path, directory: true)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Sends one datagram to the Unix socket at `address`; a leading "@" means the Linux
    /// abstract namespace (the "@" becomes a NUL byte, and the length excludes a terminator).
    static func sendDatagram(_ bytes: [UInt8], toUnixSocket address: String) throws {
        var path = Array(address.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        var addr = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.count < capacity, !path.isEmpty else {
            throw SystemCallError(call: "sockaddr_un", path: address, errno: ENAMETOOLONG)
        }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemCallError(call: "socket", path: address, errno: errno) }
        defer { close(fd) }
        let sent = withUnsafePointer(to: &addr) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                bytes.withUnsafeBytes { buffer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        if sent < 0 { throw SystemCallError(call: "sendto", path: address, errno: errno) }
    }

    private static func retryingEINTR(_ body: () -> Int32) -> Int32 {
        while true {
            let r = body()
            if r == -1 && errno == EINTR { continue }
            return r
        }
    }
}

/// A failed system call.
struct SystemCallError: Error {
    let call: String
    let path: String
    let errno: Int32

    /// True for "no space left" (ENOSPC) and "quota exceeded" (EDQUOT).
    var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
}
