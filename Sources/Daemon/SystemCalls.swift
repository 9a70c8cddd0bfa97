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

    /// Sends all of `bytes` on a socket with MSG_NOSIGNAL: a peer that went away yields EPIPE,
    /// not a SIGPIPE that would kill the daemon.
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "send", path: "socket", errno: errno)
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

    /// A listening IPv4/IPv6 TCP socket on `host:port` (port 0 = any free port).
    /// Returns the descriptor and the port actually bound.
    static func listenTCP(host: String, port: Int, backlog: Int32 = 16) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw SystemCallError(call: "getaddrinfo", path: host, errno: EINVAL)
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemCallError(call: "socket", path: host, errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 || listen(fd, backlog) != 0 {
            let e = errno
            close(fd)
            throw SystemCallError(call: "bind", path: "\(host):\(port)", errno: e)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = Int32(storage.ss_family)
        let bound: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return (fd, Int(bound))
    }

    /// Accepts one connection; nil when the listening socket was shut down.
    static func accept(_ fd: Int32) -> Int32? {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 { return client }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }

    /// Reads what is available (up to `limit` bytes), waiting at most `timeout` seconds.
    static func readRequest(_ fd: Int32, limit: Int = 8192, timeout: Int = 2) -> [UInt8] {
        // Also bound writes, so a client that never reads cannot hold the thread.
        var sendTimeout = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + total, limit - total, 0) }
            if n <= 0 { break }
            total += n
            // The request line and headers end with an empty line; no body is expected.
            if total >= 4, (3..<total).contains(where: { buffer[$0 - 3] == 13 && buffer[$0 - 2] == 10 && buffer[$0 - 1] == 13 && buffer[$0] == 10 }) {
                break
            }
        }
        return Array(buffer[0..<total])
    }

    /// Half-closes a connection, discards up to 64 KiB of remaining input (bounded by the read
    /// timeout), then closes it.
    static func lingeringClose(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var discarded = 0
        while discarded < 65536 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            discarded += n
        }
        _ = Glibc.close(fd)
    }

    /// Stops `accept` on a listening socket from another thread.
    static func shutdownAndClose(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        _ = Glibc.close(fd)
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
