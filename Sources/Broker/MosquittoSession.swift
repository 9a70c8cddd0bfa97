import CMosquitto
import Foundation
import Logging

/// The state behind one `MQTTClient`: the libmosquitto handle, the network thread that
/// drives it, and the bookkeeping the callbacks update.
///
/// Threads and ownership:
/// - The network thread (a dedicated `Thread` named "mqtt-<clientID>") is the only caller of
///   `mosquitto_loop` and `mosquitto_connect_bind_v5` (first connect and every reconnect);
///   libmosquitto runs every callback on it, inside `mosquitto_loop`. It does what
///   `mosquitto_loop_start` would, plus our own reconnect policy: sub-second first delay,
///   jitter, and the CONNECT properties (Session Expiry) that `mosquitto_reconnect` drops.
/// - Callbacks hand data to Swift through exactly one boundary: the `messages` and `events`
///   stream continuations (thread-safe). Nothing else leaves the network thread.
/// - `publish`, `subscribe` and `disconnect` may be called from any thread: libmosquitto's
///   `mosquitto_publish_v5`/`mosquitto_subscribe_v5` are thread-safe once the handle is in
///   threaded mode (`mosquitto_threaded_set`), and they wake the loop through its socket pair.
/// - Mutable Swift state is guarded by `lock`, which is never held across a libmosquitto call.
/// - The thread keeps the session alive until it exits; `mosquitto_destroy` runs in `deinit`,
///   so a late `publish` after `disconnect()` never touches freed memory.
final class MosquittoSession: @unchecked Sendable {
    let configuration: MQTTConfiguration
    let handle: OpaquePointer
    let logger: Logger
    let messageContinuation: AsyncStream<IncomingMessage>.Continuation
    let eventContinuation: AsyncStream<ConnectionEvent>.Continuation

    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    // Guarded by `lock`.
    private var started = false
    private var stopping = false
    private var connected = false
    private var everConnected = false
    private var protocolVersion: MQTTConfiguration.ProtocolVersion
    private var firstConnect: CheckedContinuation<Void, Error>?
    private var connackFailure: BrokerError?
    private var reconnectAttempt = 0
    private var subscriptions: [(filter: String, qos: Int)] = []
    private var sentSubscriptions: Set<String> = []
    private var pendingSubscribeIDs: [Int32: String] = [:]
    /// Called on the network thread for each message instead of the stream (guarded by `lock`).
    private var messageHandler: (@Sendable (IncomingMessage) -> Void)?
    /// QoS > 0 publishes waiting for PUBACK: message id -> topic (named in `.publishFailed`).
    private var awaitingAck: [Int32: String] = [:]
    /// Acknowledgements that arrived before `publish` learned its message id: id -> reason.
    private var earlyAcks: [Int32: Int32] = [:]
    private var qos0Pending: Set<Int32> = []
    private var stats = MQTTStatistics()

    init(
        configuration: MQTTConfiguration, logger: Logger,
        messages: AsyncStream<IncomingMessage>.Continuation, events: AsyncStream<ConnectionEvent>.Continuation
    ) throws {
        precondition(Mosquitto.initialized, "mosquitto_lib_init failed")
        self.configuration = configuration
        self.logger = logger
        self.messageContinuation = messages
        self.eventContinuation = events
        self.protocolVersion = configuration.protocolVersion
        guard let handle = mosquitto_new(configuration.clientID, configuration.cleanSession, nil) else {
            throw BrokerError(code: .invalidArgument, rawValue: Int(errno),
                              message: "mosquitto_new failed for client id '\(configuration.clientID)' (an empty id needs cleanSession)")
        }
        self.handle = handle
        // Every stored property is set: if `apply` throws, Swift runs `deinit`, which destroys
        // the handle. Destroying it here too would free it twice.
        try apply(configuration)
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
    }

    deinit {
        mosquitto_destroy(handle)
        messageContinuation.finish()
        eventContinuation.finish()
    }

    private func check(_ rc: Int32, _ context: String) throws {
        if rc != Mosquitto.success { throw Mosquitto.error(rc, context: context) }
    }

    private func apply(_ c: MQTTConfiguration) throws {
        try check(mosquitto_threaded_set(handle, true), "threaded mode")
        try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(c.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311)), "protocol version")
        try check(mosquitto_int_option(handle, MOSQ_OPT_SEND_MAXIMUM, Int32(max(1, min(65535, c.maxInflightMessages)))), "send maximum")
        try check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        if c.username != nil || c.password != nil {
            try check(mosquitto_username_pw_set(handle, c.username, c.password), "username/password")
        }
        if let tls = c.tls {
            for file in [tls.caFile, tls.certFile, tls.keyFile].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: file) {
                throw BrokerError(code: .tls, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "TLS file not readable: \(file)")
            }
            try check(mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile, nil), "TLS settings (caFile \(tls.caFile))")
            try check(mosquitto_tls_insecure_set(handle, tls.insecure), "TLS insecure flag")
        }
        if let will = c.will {
            guard (0...2).contains(will.qos) else {
                throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "will QoS must be 0, 1 or 2")
            }
            let rc = will.payload.withUnsafeBytes { buf in
                mosquitto_will_set_v5(handle, will.topic, Int32(will.payload.count), buf.baseAddress, Int32(will.qos), will.retain, nil)
            }
            try check(rc, "last will on '\(will.topic)'")
        }
    }

    // MARK: Callbacks (network thread)

    private static func session(_ obj: UnsafeMutableRawPointer?) -> MosquittoSession {
        Unmanaged<MosquittoSession>.fromOpaque(obj!).takeUnretainedValue()
    }

    private func installCallbacks() {
        mosquitto_connect_v5_callback_set(handle) { _, obj, rc, flags, _ in
            MosquittoSession.session(obj).didConnect(rc: rc, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(handle) { _, obj, rc, _ in
            MosquittoSession.session(obj).didDisconnect(rc: rc)
        }
        mosquitto_publish_v5_callback_set(handle) { _, obj, mid, reason, _ in
            MosquittoSession.session(obj).didPublish(mid: mid, reason: reason)
        }
        mosquitto_message_v5_callback_set(handle) { _, obj, message, props in
            guard let message else { return }
            MosquittoSession.session(obj).didReceive(message.pointee, props: props)
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, obj, mid, count, granted, _ in
            let codes = granted.map { g in (0..<Int(count)).map { Int(g[$0]) } } ?? []
            MosquittoSession.session(obj).didSubscribe(mid: mid, granted: codes)
        }
    }

    private func didConnect(rc: Int32, flags: Int32) {
        lock.lock()
        let version = protocolVersion
        guard rc == 0 else {
            connackFailure = Mosquitto.connackError(rc, protocolVersion: version)
            lock.unlock()
            return
        }
        let sessionPresent = flags & 1 == 1
        connected = true
        if everConnected { stats.reconnects += 1 }
        everConnected = true
        reconnectAttempt = 0
        qos0Pending.removeAll()
        let toSend = subscriptions.filter { !sessionPresent || !sentSubscriptions.contains($0.filter) }
        sentSubscriptions.formUnion(subscriptions.map(\.filter))
        let waiting = firstConnect
        firstConnect = nil
        lock.unlock()

        logger.info("MQTT connected", metadata: ["host": "\(configuration.host):\(configuration.port)", "session_present": "\(sessionPresent)", "protocol": "\(version)"])
        for sub in toSend {
            do { try sendSubscribe(sub.filter, qos: sub.qos) } catch {
                logger.error("MQTT re-subscribe failed", metadata: ["filter": "\(sub.filter)", "error": "\(error)"])
            }
        }
        eventContinuation.yield(.connected(sessionPresent: sessionPresent))
        waiting?.resume()
    }

    private func didDisconnect(rc: Int32) {
        lock.lock()
        let wasConnected = connected
        connected = false
        lock.unlock()
        guard wasConnected else { return }
        let error: BrokerError? = rc == 0 ? nil : (rc > 0 && rc < 128
            ? Mosquitto.error(rc, context: "connection to \(configuration.host):\(configuration.port) lost")
            : BrokerError(code: .connectionLost, rawValue: Int(rc), message: "broker disconnected us: \(Mosquitto.reasonString(rc))"))
        if let error { logger.warning("MQTT disconnected", metadata: ["error": "\(error)"]) }
        eventContinuation.yield(.disconnected(reasonCode: Int(rc), error: error))
    }

    private func didPublish(mid: Int32, reason: Int32) {
        lock.lock()
        var refusedTopic: String?
        if let topic = awaitingAck.removeValue(forKey: mid) {
            stats.outstandingPublishes -= 1
            refusedTopic = topic
        } else if qos0Pending.remove(mid) == nil {
            // `publish` has not returned yet; it reports this one when it does.
            earlyAcks[mid] = reason
            lock.unlock()
            return
        }
        let failed = reason >= 128
        if failed { stats.publishFailures += 1 }
        lock.unlock()
        if failed { reportRefusal(mid: mid, topic: refusedTopic ?? "", reason: reason) }
    }

    private func reportRefusal(mid: Int32, topic: String, reason: Int32) {
        logger.warning("MQTT publish rejected", metadata: ["mid": "\(mid)", "topic": "\(topic)", "reason": "\(Mosquitto.reasonString(reason))"])
        eventContinuation.yield(.publishFailed(messageID: Int(mid), topic: topic, reasonCode: Int(reason)))
    }

    private func didReceive(_ m: mosquitto_message, props: OpaquePointer?) {
        let topic = m.topic.map { String(cString: $0) } ?? ""
        let payload: [UInt8] = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(m.payloadlen))) } ?? []
        let message = IncomingMessage(
            topic: topic, payload: payload, qos: Int(m.qos), retain: m.retain,
            userProperties: Mosquitto.userProperties(props), correlationData: Mosquitto.correlationData(props),
            contentType: Mosquitto.contentType(props))
        lock.lock()
        let handler = messageHandler
        lock.unlock()
        if let handler {
            handler(message)
            lock.lock()
            stats.messagesReceived += 1
            lock.unlock()
            return
        }
        let result = messageContinuation.yield(message)
        lock.lock()
        if case .dropped = result { stats.messagesDropped += 1 } else { stats.messagesReceived += 1 }
        lock.unlock()
    }

    /// See `MQTTClient.handleMessages(_:)`.
    func setMessageHandler(_ handler: @escaping @Sendable (IncomingMessage) -> Void) {
        lock.lock()
        messageHandler = handler
        lock.unlock()
    }

    private func didSubscribe(mid: Int32, granted: [Int]) {
        lock.lock()
        let filter = pendingSubscribeIDs.removeValue(forKey: mid)
        lock.unlock()
        for code in granted where code >= 128 {
            logger.error("MQTT subscription rejected", metadata: ["filter": "\(filter ?? "?")", "reason": "\(code)"])
            eventContinuation.yield(.subscriptionRejected(filter: filter ?? "message \(mid)", reasonCode: code))
        }
    }

    // MARK: Caller-side operations (any thread)

    var statistics: MQTTStatistics {
        lock.lock(); defer { lock.unlock() }
        return stats
    }

    var isConnected: Bool {
        lock.lock(); defer { lock.unlock() }
        return connected
    }

    /// Starts the network thread; `continuation` resumes at the first CONNACK or failure.
    func start(_ continuation: CheckedContinuation<Void, Error>) {
        lock.lock()
        if started || stopping {
            lock.unlock()
            continuation.resume(throwing: BrokerError(code: .invalidArgument, rawValue: 0, message: stopping ? "client was disconnected; create a new MQTTClient" : "connect() was already called"))
            return
        }
        started = true
        firstConnect = continuation
        lock.unlock()
        let thread = Thread { [self] in
            run()
            // Never leave connect() hanging, e.g. after disconnect() during the first connect.
            failFirstConnect(BrokerError(code: .notConnected, rawValue: Int(MOSQ_ERR_NO_CONN.rawValue),
                                         message: "client stopped before the broker accepted the connection"), stop: false)
            exited.signal()
        }
        thread.name = "mqtt-\(configuration.clientID)"
        thread.start()
        let timeout = configuration.connectTimeout
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in
            self?.failFirstConnect(BrokerError(code: .timeout, rawValue: Int(MOSQ_ERR_TIMEOUT.rawValue), message: "no CONNACK from \(self?.configuration.host ?? ""):\(self?.configuration.port ?? 0) within \(timeout) s"), stop: true)
        }
    }

    /// Resumes `connect()` with an error once; optionally stops the network thread.
    private func failFirstConnect(_ error: BrokerError, stop: Bool) {
        var error = error
        // Under TLS 1.3 a broker that requires a client certificate accepts the handshake and
        // then drops the connection before CONNACK, which libmosquitto reports as a protocol
        // error or a lost connection. Name the likely cause instead.
        let dropped = [Int(MOSQ_ERR_PROTOCOL.rawValue), Int(MOSQ_ERR_CONN_LOST.rawValue)].contains(error.rawValue)
        if configuration.tls != nil, error.code == .other || error.code == .connectionLost, dropped {
            error = BrokerError(code: .tls, rawValue: error.rawValue, message: error.message
                + " (the broker closed the TLS connection before CONNACK: check that certFile/keyFile are set and signed by a CA the broker trusts)")
        }
        lock.lock()
        let waiting = firstConnect
        firstConnect = nil
        lock.unlock()
        guard let waiting else { return }
        logger.error("MQTT connect failed", metadata: ["error": "\(error)"])
        waiting.resume(throwing: error)
        if stop { requestStop(sendWill: false) }
    }

    func subscribe(_ filter: String, qos: Int) throws {
        guard (0...2).contains(qos), !filter.isEmpty else {
            throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "subscribe needs a non-empty filter and QoS 0...2 (got '\(filter)', \(qos))")
        }
        guard mosquitto_sub_topic_check(filter) == Mosquitto.success else {
            throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "invalid topic filter '\(filter)'")
        }
        lock.lock()
        subscriptions.removeAll { $0.filter == filter }
        subscriptions.append((filter, qos))
        let live = connected
        if live { sentSubscriptions.insert(filter) }
        lock.unlock()
        if live { try sendSubscribe(filter, qos: qos) }
    }

    private func sendSubscribe(_ filter: String, qos: Int) throws {
        var mid: Int32 = 0
        try check(mosquitto_subscribe_v5(handle, &mid, filter, Int32(qos), 0, nil), "subscribe '\(filter)'")
        lock.lock()
        pendingSubscribeIDs[mid] = filter
        lock.unlock()
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool, properties: PublishProperties) throws -> Int {
        guard (0...2).contains(qos) else {
            throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "QoS must be 0, 1 or 2 (got \(qos))")
        }
        // A C string ends at the first NUL: the message would go to a shorter, different topic.
        guard !topic.isEmpty, !topic.utf8.contains(0) else {
            throw BrokerError(code: .invalidArgument, rawValue: Int(MOSQ_ERR_INVAL.rawValue), message: "topic is empty or contains NUL")
        }
        lock.lock()
        if stopping {
            lock.unlock()
            throw BrokerError(code: .notConnected, rawValue: Int(MOSQ_ERR_NO_CONN.rawValue), message: "client was disconnected")
        }
        if qos > 0 {
            if stats.outstandingPublishes >= configuration.maxQueuedMessages {
                lock.unlock()
                throw BrokerError(code: .queueFull, rawValue: Int(MOSQ_ERR_NOMEM.rawValue), message: "\(configuration.maxQueuedMessages) QoS>0 messages await acknowledgement (broker unreachable?)")
            }
            stats.outstandingPublishes += 1
        }
        let version = protocolVersion
        lock.unlock()

        var mid: Int32 = 0
        var rc: Int32
        do {
            var list = version == .v5 ? try Mosquitto.makeProperties(properties) : nil
            defer { mosquitto_property_free_all(&list) }
            rc = payload.withUnsafeBytes { buf in
                mosquitto_publish_v5(handle, &mid, topic, Int32(payload.count), buf.baseAddress, Int32(qos), retain, list)
            }
        } catch {
            if qos > 0 { lock.lock(); stats.outstandingPublishes -= 1; lock.unlock() }
            throw error
        }
        lock.lock()
        // For QoS > 0, "no connection" means libmosquitto queued the message; it goes out
        // on reconnect (and `outstandingPublishes` bounds how many may wait).
        if rc != Mosquitto.success && !(qos > 0 && rc == Int32(MOSQ_ERR_NO_CONN.rawValue)) {
            if qos > 0 { stats.outstandingPublishes -= 1 }
            lock.unlock()
            throw Mosquitto.error(rc, context: "publish to '\(topic)'")
        }
        var earlyRefusal: Int32?
        if let reason = earlyAcks.removeValue(forKey: mid) {
            if qos > 0 { stats.outstandingPublishes -= 1 }
            if reason >= 128 {
                stats.publishFailures += 1
                earlyRefusal = reason
            }
        } else if qos > 0 {
            awaitingAck[mid] = topic
        } else {
            qos0Pending.insert(mid)
        }
        lock.unlock()
        if let earlyRefusal { reportRefusal(mid: mid, topic: topic, reason: earlyRefusal) }
        return Int(mid)
    }

    /// Asks the network thread to send DISCONNECT (reason 4 "with will" when `sendWill`) and
    /// exit. Returns without waiting.
    func requestStop(sendWill: Bool) {
        lock.lock()
        if stopping { lock.unlock(); return }
        stopping = true
        let running = started
        lock.unlock()
        if running {
            _ = mosquitto_disconnect_v5(handle, sendWill ? Int32(MQTT_RC_DISCONNECT_WITH_WILL_MSG.rawValue) : 0, nil)
            wake.signal()
        }
    }

    /// Stops and waits (up to `timeout` seconds) for the network thread to exit.
    func stop(sendWill: Bool, timeout: Double) {
        requestStop(sendWill: sendWill)
        lock.lock()
        let running = started
        lock.unlock()
        if running {
            if exited.wait(timeout: .now() + timeout) == .success { exited.signal() }
        }
    }

    /// Test hook: shuts the TCP socket down without an MQTT DISCONNECT, as a crash or a
    /// network failure would, so the broker publishes the will.
    func dropConnectionWithoutDisconnect() {
        let fd = mosquitto_socket(handle)
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    // MARK: Network thread

    private var isStopping: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopping
    }

    private func connectProperties(_ version: MQTTConfiguration.ProtocolVersion) -> OpaquePointer? {
        guard version == .v5, !configuration.cleanSession else { return nil }
        var list: OpaquePointer? = nil
        _ = mosquitto_property_add_int32(&list, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), configuration.sessionExpiry)
        return list
    }

    /// One TCP (+TLS) connect and CONNECT. Uses `mosquitto_connect_bind_v5` every time, not
    /// `mosquitto_reconnect`, because the latter drops the CONNECT properties and with them
    /// the Session Expiry Interval: the broker would then forget the session at the next drop.
    private func connectOnce() -> Int32 {
        lock.lock()
        let version = protocolVersion
        lock.unlock()
        var props = connectProperties(version)
        defer { mosquitto_property_free_all(&props) }
        return mosquitto_connect_bind_v5(handle, configuration.host, Int32(configuration.port), Int32(configuration.keepalive), nil, props)
    }

    private func run() {
        let context = "connect to \(configuration.host):\(configuration.port)"
        let rc = connectOnce()
        if rc != Mosquitto.success {
            failFirstConnect(Mosquitto.error(rc, context: context), stop: false)
            return
        }
        var stopDeadline: Date?
        while true {
            let rc = mosquitto_loop(handle, 200, 1)
            if isStopping {
                // Keep looping until the DISCONNECT is written (the loop then reports no
                // connection), but never longer than 2 s.
                if stopDeadline == nil { stopDeadline = Date().addingTimeInterval(2) }
                if rc != Mosquitto.success || Date() > stopDeadline! { break }
                continue
            }
            if rc == Mosquitto.success { continue }

            lock.lock()
            let ever = everConnected
            let refusal = connackFailure
            connackFailure = nil
            let version = protocolVersion
            lock.unlock()

            if !ever {
                // A 3.1.1-only broker answers a v5 CONNECT with a v3 CONNACK "unacceptable
                // protocol version", which libmosquitto 2.0.11 reports as a protocol error
                // (newer versions as reason 132) before any CONNACK callback.
                let v5Refused = version == .v5 && (
                    refusal.map { $0.rawValue == Int(MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION.rawValue) || $0.rawValue == 1 }
                        ?? (rc == Int32(MOSQ_ERR_PROTOCOL.rawValue)))
                logger.debug("first connect failed", metadata: ["rc": "\(rc)", "refusal": "\(refusal.map { "\($0.rawValue)" } ?? "none")"])
                if v5Refused && configuration.allowV311Fallback {
                    logger.warning("broker refused MQTT v5, falling back to 3.1.1")
                    lock.lock(); protocolVersion = .v311; lock.unlock()
                    _ = mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V311))
                    let retry = connectOnce()
                    if retry == Mosquitto.success { continue }
                    failFirstConnect(Mosquitto.error(retry, context: context), stop: false)
                    return
                }
                if v5Refused {
                    failFirstConnect(BrokerError(code: .connackRefused, rawValue: Int(MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION.rawValue),
                                                 message: "\(context): the broker does not accept MQTT v5 (set protocolVersion to v311 or allow the fallback)"), stop: false)
                    return
                }
                failFirstConnect(refusal ?? Mosquitto.error(rc, context: context), stop: false)
                return
            }
            if let refusal { eventContinuation.yield(.connectFailed(refusal)) }
            reconnectWithBackoff(context: context)
            if isStopping { return }
        }
    }

    /// Waits the backoff delay and reconnects, until a TCP connection is up (the CONNACK
    /// then arrives through the loop) or the client stops.
    private func reconnectWithBackoff(context: String) {
        while !isStopping {
            lock.lock()
            reconnectAttempt += 1
            let attempt = reconnectAttempt
            lock.unlock()
            let delay = configuration.backoff.delay(attempt: attempt - 1, random: Double.random(in: 0..<1))
            eventContinuation.yield(.reconnecting(attempt: attempt, delay: delay))
            _ = wake.wait(timeout: .now() + delay)
            if isStopping { return }
            let rc = connectOnce()
            if rc == Mosquitto.success { return }
            let error = Mosquitto.error(rc, context: "re" + context)
            logger.debug("MQTT reconnect failed", metadata: ["error": "\(error)"])
            eventContinuation.yield(.connectFailed(error))
        }
    }
}
