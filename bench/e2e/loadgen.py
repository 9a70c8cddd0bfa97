#!/usr/bin/env python3
"""End-to-end load generator for emotiond (bench/e2e.sh runs it).

Publishes clips to emotiond/in/<device>/clip over MQTT v5 (QoS 1, user property clip-id),
listens on emotiond/+/emotion and emotiond/errors, and measures per clip the latency from
publish to event, recorded in an HdrHistogram. Prints one JSON object.

Two modes:
- sustained: publishes at --rate clips/s for --count clips (open loop) and reports throughput
  and latency; a rate above the daemon's capacity shows queueing and drops.
- saturate:  publishes --count clips at once; throughput = clips / time to the last event.
Only loopback brokers are meant: the traffic is bounded by --count and --timeout.
"""
import argparse
import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from hdrh.histogram import HdrHistogram


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clips", nargs="+", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--rate", type=float, default=0, help="clips/s; 0 = all at once")
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    payloads = [open(p, "rb").read() for p in args.clips]
    sent = {}          # clip id -> publish time
    done = {}          # clip id -> (event time, kind)
    lock = threading.Lock()
    finished = threading.Event()

    def on_message(_c, _u, msg):
        now = time.monotonic()
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        clip = body.get("clip_id")
        kind = "error" if msg.topic.endswith("errors") else "event"
        with lock:
            if clip in sent and clip not in done:
                done[clip] = (now, kind, body.get("code"))
                if len(done) == args.count:
                    finished.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"loadgen-sub-{uuid.uuid4().hex[:8]}",
                      protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect(args.host, args.port)
    sub.subscribe([("emotiond/+/emotion", 1), ("emotiond/errors", 1)])
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"loadgen-pub-{uuid.uuid4().hex[:8]}",
                      protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(100)
    pub.max_queued_messages_set(0)
    pub.connect(args.host, args.port)
    pub.loop_start()
    time.sleep(0.5)

    start = time.monotonic()
    for i in range(args.count):
        if args.rate > 0:
            target = start + i / args.rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        clip = f"load-{i}-{uuid.uuid4().hex[:6]}"
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = ("clip-id", clip)
        with lock:
            sent[clip] = time.monotonic()
        pub.publish(f"emotiond/in/load-{i % args.devices}/clip", payloads[i % len(payloads)], qos=1, properties=props)
    publish_end = time.monotonic()
    finished.wait(args.timeout)
    end = time.monotonic()
    pub.loop_stop(); sub.loop_stop()

    hist = HdrHistogram(1, 600_000, 3)   # 1 ms .. 10 min, 3 significant digits
    events = errors = 0
    codes = {}
    last = start
    with lock:
        for clip, (t, kind, code) in done.items():
            hist.record_value(max(1, int((t - sent[clip]) * 1000)))
            last = max(last, t)
            if kind == "event":
                events += 1
            else:
                errors += 1
                codes[code] = codes.get(code, 0) + 1
    print(json.dumps({
        "count": args.count, "rate": args.rate, "events": events, "errors": errors, "error_codes": codes,
        "missing": args.count - len(done), "publish_seconds": round(publish_end - start, 3),
        "throughput_clips_per_s": round(events / (last - start), 2) if last > start else 0,
        "latency_ms": {"p50": hist.get_value_at_percentile(50), "p90": hist.get_value_at_percentile(90),
                        "p99": hist.get_value_at_percentile(99), "max": hist.get_max_value()},
        "timed_out": not finished.is_set(), "wall_seconds": round(end - start, 3),
    }))


if __name__ == "__main__":
    main()
