// libmosquitto (Debian: libmosquitto-dev), MQTT v5 property and reason-code constants included.
#include <mosquitto.h>
#include <mqtt_protocol.h>
