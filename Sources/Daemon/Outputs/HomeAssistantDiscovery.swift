import Foundation

/// Home Assistant MQTT discovery (DESIGN section 4): for every device, retained config
/// messages under `<discovery_prefix>/sensor/emotiond_<device>_<sensor>/config` that make HA
/// create an "emotion" sensor (attributes: the whole per-clip event), a "confidence" sensor and
/// a "dominant emotion" sensor from the retained `/state`, all tied to `<prefix>/available`.
///
/// HA forgets non-retained discovery when it restarts and announces itself with `online` on
/// `<discovery_prefix>/status`; ``handleStatus(topic:payload:)`` then returns every device's
/// configs again.
///
/// Thread safety: one lock; callable from any thread.
public final class HomeAssistantDiscovery: @unchecked Sendable {
    public let discoveryPrefix: String
    public let router: TopicRouter
    private let lock = NSLock()
    private var known: Set<String> = []

    public init(discoveryPrefix: String = "homeassistant", router: TopicRouter) {
        self.discoveryPrefix = discoveryPrefix
        self.router = router
    }

    /// The topic HA announces itself on; subscribe to it (not shared, every instance needs it).
    public var statusTopic: String { "\(discoveryPrefix)/status" }

    /// Configs for `device` the first time it is seen, else nothing.
    public func announce(device: String) -> [OutboundMessage] {
        let isNew = lock.withLock { known.insert(device).inserted }
        return isNew ? configs(for: device) : []
    }

    /// All known devices' configs again when HA reports `online` on ``statusTopic``.
    public func handleStatus(topic: String, payload: Data) -> [OutboundMessage] {
        guard topic == statusTopic,
              String(decoding: payload, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "online"
        else { return [] }
        let devices = lock.withLock { known.sorted() }
        return devices.flatMap(configs(for:))
    }

    /// HA object ids allow `[a-zA-Z0-9_-]`; device ids may also contain `.`.
    public static func objectID(device: String, sensor: String) -> String {
        "emotiond_" + device.replacingOccurrences(of: ".", with: "_") + "_" + sensor
    }

    /// The config topic of one sensor.
    public func configTopic(device: String, sensor: String) -> String {
        "\(discoveryPrefix)/sensor/\(Self.objectID(device: device, sensor: sensor))/config"
    }

    /// The three retained config messages of `device`.
    public func configs(for device: String) -> [OutboundMessage] {
        let emotionTopic = router.emotionTopic(device: device)
        let deviceBlock: [String: Any] = [
            "identifiers": ["emotiond_" + device.replacingOccurrences(of: ".", with: "_")],
            "name": "emotiond \(device)",
            "manufacturer": "emotiond",
            "model": "emotion recognition",
        ]
        func sensor(_ key: String, _ name: String, _ extra: [String: Any]) -> OutboundMessage {
            var body: [String: Any] = [
                "name": name,
                "unique_id": Self.objectID(device: device, sensor: key),
                "object_id": Self.objectID(device: device, sensor: key),
                "availability_topic": router.availabilityTopic,
                "payload_available": "online",
                "payload_not_available": "offline",
                "device": deviceBlock,
            ]
            body.merge(extra) { _, new in new }
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return OutboundMessage(topic: configTopic(device: device, sensor: key), payload: data, qos: 1, retain: true)
        }
        return [
            sensor("emotion", "Emotion", [
                "state_topic": emotionTopic,
                "value_template": "{{ value_json.emotion }}",
                "json_attributes_topic": emotionTopic,
                "icon": "mdi:emoticon-outline",
            ]),
            sensor("confidence", "Emotion confidence", [
                "state_topic": emotionTopic,
                "value_template": "{{ (value_json.confidence * 100) | round(1) }}",
                "unit_of_measurement": "%",
                "state_class": "measurement",
                "icon": "mdi:percent",
            ]),
            sensor("state", "Dominant emotion", [
                "state_topic": router.stateTopic(device: device),
                "value_template": "{{ value_json.emotion if value_json.emotion else 'none' }}",
                "json_attributes_topic": router.stateTopic(device: device),
                "icon": "mdi:emoticon",
            ]),
        ]
    }
}
