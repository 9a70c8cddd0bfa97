import CMosquitto
import Foundation

/// The one place where Swift touches libmosquitto's return codes and property lists: it turns
/// `MOSQ_ERR_*` values and MQTT reason codes into `BrokerError`s and copies properties in and
/// out of `mosquitto_property` lists.
enum Mosquitto {
    /// `mosquitto_lib_init` is not thread-safe; a `static let` runs it exactly once under
    /// Swift's lazy-global lock. Never paired with `mosquitto_lib_cleanup`: the library
    /// stays usable for the life of the process.
    static let initialized: Bool = {
        mosquitto_lib_init() == Int32(MOSQ_ERR_SUCCESS.rawValue)
    }()

    static let success = Int32(MOSQ_ERR_SUCCESS.rawValue)

    /// Maps a libmosquitto return code (with `errno` still set by the failing call) to an error.
    static func error(_ rc: Int32, context: String) -> BrokerError {
        let savedErrno = errno
        let text = String(cString: mosquitto_strerror(rc))
        let code: BrokerError.Code
        var message = "\(context): \(text)"
        switch rc {
        case Int32(MOSQ_ERR_ERRNO.rawValue):
            let reason = String(cString: strerror(savedErrno))
            message = "\(context): \(reason)"
            switch savedErrno {
            case ECONNREFUSED:
                code = .connectionRefused
                message += " (is a broker listening there?)"
            case ETIMEDOUT, EHOSTUNREACH, ENETUNREACH: code = .connectionLost
            default: code = .other
            }
        case Int32(MOSQ_ERR_TLS.rawValue), Int32(MOSQ_ERR_TLS_HANDSHAKE.rawValue):
            code = .tls
            message += " (check that caFile signed the broker's certificate, that the certificate names the host, and that the client certificate/key are readable)"
        case Int32(MOSQ_ERR_EAI.rawValue), Int32(MOSQ_ERR_LOOKUP.rawValue):
            code = .lookup
        case Int32(MOSQ_ERR_NO_CONN.rawValue):
            code = .notConnected
        case Int32(MOSQ_ERR_CONN_LOST.rawValue), Int32(MOSQ_ERR_KEEPALIVE.rawValue):
            code = .connectionLost
        case Int32(MOSQ_ERR_INVAL.rawValue), Int32(MOSQ_ERR_PAYLOAD_SIZE.rawValue),
             Int32(MOSQ_ERR_MALFORMED_UTF8.rawValue), Int32(MOSQ_ERR_OVERSIZE_PACKET.rawValue),
             Int32(MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue), Int32(MOSQ_ERR_DUPLICATE_PROPERTY.rawValue):
            code = .invalidArgument
        case Int32(MOSQ_ERR_AUTH.rawValue):
            code = .authenticationFailed
        case Int32(MOSQ_ERR_ACL_DENIED.rawValue):
            code = .rejected
        case Int32(MOSQ_ERR_CONN_REFUSED.rawValue):
            code = .connackRefused
        default:
            code = .other
        }
        return BrokerError(code: code, rawValue: Int(rc), message: message)
    }

    /// Maps a CONNACK refusal (v5 reason code, or the v3.1.1 return code 1...5) to an error.
    static func connackError(_ reason: Int32, protocolVersion: MQTTConfiguration.ProtocolVersion) -> BrokerError {
        let text: String
        let code: BrokerError.Code
        if protocolVersion == .v311 && reason < 128 {
            text = String(cString: mosquitto_connack_string(reason))
            code = (reason == 4 || reason == 5) ? .authenticationFailed : .connackRefused
        } else {
            text = String(cString: mosquitto_reason_string(reason))
            code = (reason == Int32(MQTT_RC_BAD_USERNAME_OR_PASSWORD.rawValue)
                || reason == Int32(MQTT_RC_NOT_AUTHORIZED.rawValue)) ? .authenticationFailed : .connackRefused
        }
        let hint = code == .authenticationFailed ? " (check username/password and the broker's password file/ACL)" : ""
        return BrokerError(code: code, rawValue: Int(reason), message: "broker refused the connection: \(text) (reason \(reason))\(hint)")
    }

    static func reasonString(_ reason: Int32) -> String { String(cString: mosquitto_reason_string(reason)) }

    // MARK: Properties

    /// Builds a property list for PUBLISH; the caller frees it with `mosquitto_property_free_all`.
    static func makeProperties(_ p: PublishProperties) throws -> OpaquePointer? {
        var list: OpaquePointer? = nil
        func check(_ rc: Int32, _ what: String) throws {
            if rc != success {
                mosquitto_property_free_all(&list)
                throw error(rc, context: "property \(what)")
            }
        }
        for (name, value) in p.userProperties.sorted(by: { $0.key < $1.key }) {
            try check(mosquitto_property_add_string_pair(&list, Int32(MQTT_PROP_USER_PROPERTY.rawValue), name, value), "user property \(name)")
        }
        if let data = p.correlationData {
            guard data.count <= Int(UInt16.max) else {
                mosquitto_property_free_all(&list)
                throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "correlation data longer than 65535 bytes")
            }
            try data.withUnsafeBytes { buf in
                try check(mosquitto_property_add_binary(&list, Int32(MQTT_PROP_CORRELATION_DATA.rawValue), buf.baseAddress, UInt16(data.count)), "correlation data")
            }
        }
        if let type = p.contentType {
            try check(mosquitto_property_add_string(&list, Int32(MQTT_PROP_CONTENT_TYPE.rawValue), type), "content type")
        }
        if let expiry = p.messageExpiry {
            try check(mosquitto_property_add_int32(&list, Int32(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL.rawValue), expiry), "message expiry")
        }
        return list
    }

    /// Copies user properties out of a received property list.
    static func userProperties(_ list: OpaquePointer?) -> [String: String] {
        var out: [String: String] = [:]
        var cursor = list
        var skipFirst = false
        while let current = cursor {
            var name: UnsafeMutablePointer<CChar>? = nil
            var value: UnsafeMutablePointer<CChar>? = nil
            guard let found = mosquitto_property_read_string_pair(current, Int32(MQTT_PROP_USER_PROPERTY.rawValue), &name, &value, skipFirst) else { break }
            if let name, let value { out[String(cString: name)] = String(cString: value) }
            free(name)
            free(value)
            cursor = found
            skipFirst = true
        }
        return out
    }

    static func correlationData(_ list: OpaquePointer?) -> [UInt8]? {
        guard let list else { return nil }
        var value: UnsafeMutableRawPointer? = nil
        var length: UInt16 = 0
        guard mosquitto_property_read_binary(list, Int32(MQTT_PROP_CORRELATION_DATA.rawValue), &value, &length, false) != nil else { return nil }
        defer { free(value) }
        guard let value else { return [] }
        return Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
    }

    static func contentType(_ list: OpaquePointer?) -> String? {
        guard let list else { return nil }
        var value: UnsafeMutablePointer<CChar>? = nil
        guard mosquitto_property_read_string(list, Int32(MQTT_PROP_CONTENT_TYPE.rawValue), &value, false) != nil, let value else { return nil }
        defer { free(value) }
        return String(cString: value)
    }
}
