#!/usr/bin/env python3
"""Writes the crafted decode regression inputs into Tests/MediaTests/Fixtures (dev script;
the tests only read the committed files).

fuzz_mkv_cluster_time_int64_max.mkv / fuzz_mkv_cluster_time_int64_min.mkv:
av_mpeg4_flac.mkv with one Cluster's Timecode element rewritten as an 8-byte value near
Int64.max (first cluster) or Int64.min (second cluster), cut after the second cluster.
Matroska stores cluster times as unsigned 64-bit numbers and FFmpeg hands them on as packet
timestamps, so the payload controls values whose difference overflows Int64: before the fix,
`StreamTiming.durationSeconds` (`end - first`) trapped ("arithmetic overflow") in checked
builds and wrapped silently in the -Ounchecked release build.

    python3 fuzz/make_regression_inputs.py
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "MediaTests" / "Fixtures"
SEGMENT_ID = bytes.fromhex("18538067")
CLUSTER_ID = bytes.fromhex("1f43b675")
CRC32_ID = 0xBF
TIMECODE_ID = 0xE7


def vint(data, at):
    """(length, value) of the EBML variable-length integer at `at`."""
    length = 8 - data[at].bit_length() + 1
    value = int.from_bytes(data[at:at + length], "big") & ((1 << (7 * length)) - 1)
    return length, value


def set_vint(data, at, length, value):
    data[at:at + length] = ((1 << (7 * length)) | value).to_bytes(length, "big")


def clusters(data):
    found, at = [], data.find(CLUSTER_ID)
    while at >= 0:
        found.append(at)
        at = data.find(CLUSTER_ID, at + 1)
    return found


def with_cluster_time(source, index, value):
    """`source` with the Timecode of cluster `index` set to `value` (as 8 raw bytes), the
    cluster and segment sizes grown to match, cut before cluster index + 2."""
    data = bytearray(source)
    cluster = clusters(data)[index]
    size_length, size = vint(data, cluster + 4)
    at = cluster + 4 + size_length
    if data[at] == CRC32_ID:  # ffmpeg's muxer writes a CRC-32 first; FFmpeg does not check it by default
        at += 6
    assert data[at] == TIMECODE_ID, f"no Timecode at {at}"
    tc_length, tc_size = vint(data, at + 1)
    old_length = 1 + tc_length + tc_size
    new = bytes([TIMECODE_ID, 0x88]) + (value % (1 << 64)).to_bytes(8, "big")
    data[at:at + old_length] = new
    grow = len(new) - old_length
    set_vint(data, cluster + 4, size_length, size + grow)
    segment = data.find(SEGMENT_ID) + 4
    seg_length, seg_size = vint(data, segment)
    set_vint(data, segment, seg_length, seg_size + grow)
    return bytes(data[:clusters(data)[index + 2]]) if len(clusters(data)) > index + 2 else bytes(data)


def main():
    source = (FIXTURES / "av_mpeg4_flac.mkv").read_bytes()
    outputs = {
        "fuzz_mkv_cluster_time_int64_max.mkv": with_cluster_time(source, 0, (1 << 63) - 5),
        "fuzz_mkv_cluster_time_int64_min.mkv": with_cluster_time(source, 1, -(1 << 63) + 5),
    }
    for name, data in outputs.items():
        (FIXTURES / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
