#!/usr/bin/env python3
"""Generate the librosa parity fixture for Tests/AudioTests.

Why: the Swift feature extractor (Sources/Audio) claims to compute the same per-frame
zero-crossing rate, RMS energy and MFCC as librosa with the settings documented in
docs/AUDIO_FEATURES.md. This script pins librosa's numbers for one real speech clip so
the Swift test can check that claim without Python.

Usage (from the package root):
    python3 -m venv scripts/.venv
    scripts/.venv/bin/pip install -r scripts/requirements-dev.txt
    scripts/.venv/bin/python scripts/make_librosa_fixture.py

Inputs:  ../shared/data/ravdess-speech/Actor_01/03-01-05-01-01-01-01.flac (16 kHz mono PCM16)
Outputs (Tests/AudioTests/Fixtures/):
    ravdess_a01_angry_1p5s.wav   1.5 s of that clip, 16 kHz mono PCM16 (the exact input)
    librosa_expected.json        settings, shapes, versions, pitch-shift levels and RMS envelopes,
                                 silence-trim ranges
    librosa_zcr.f32              [frames]            little-endian float32
    librosa_rms.f32              [frames]
    librosa_mfcc.f32             [n_mfcc, frames]    row-major
    librosa_melfb.f32            [n_mels, n_fft/2+1] row-major

The settings below MUST mirror AudioFeatureConfig's defaults (the Swift test compares
them with the JSON written here).
"""
import json
import os
import sys

import librosa
import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(
    ROOT, "..", "shared", "data", "ravdess-speech", "Actor_01", "03-01-05-01-01-01-01.flac"
)
OUT = os.path.join(ROOT, "Tests", "AudioTests", "Fixtures")

# Mirror of AudioFeatureConfig() defaults.
SR = 16000
N_FFT = 512
WIN_LENGTH = 400
HOP_LENGTH = 160
N_MELS = 64
N_MFCC = 40
FMIN = 0.0
FMAX = SR / 2.0
TOP_DB = 80.0
AMIN = 1e-10

# Pitch-shift reference settings (AudioAugmenter's vocoder FFT size).
VOCODER_N_FFT = 1024
PITCH_STEPS = (-3, 3)

# Silence-trim thresholds checked against librosa.effects.trim.
TRIM_TOP_DB = (20, 30, 60)

# The excerpt: 1.5 s starting at 0.8 s (leading near-silence, then speech onset).
START_S = 0.8
DURATION_S = 1.5


def main() -> int:
    y, sr = sf.read(SOURCE, dtype="int16")
    if sr != SR or y.ndim != 1:
        print(f"unexpected input: sr={sr} shape={y.shape}", file=sys.stderr)
        return 1
    start = int(START_S * SR)
    excerpt = y[start : start + int(DURATION_S * SR)]
    wav_path = os.path.join(OUT, "ravdess_a01_angry_1p5s.wav")
    sf.write(wav_path, excerpt, SR, subtype="PCM_16")

    # Read back exactly what the Swift test will read: PCM16 / 32768 as float32.
    samples, _ = sf.read(wav_path, dtype="float32")
    samples = np.ascontiguousarray(samples, dtype=np.float32)

    zcr = librosa.feature.zero_crossing_rate(
        samples, frame_length=N_FFT, hop_length=HOP_LENGTH, center=True
    )[0]
    rms = librosa.feature.rms(
        y=samples, frame_length=N_FFT, hop_length=HOP_LENGTH, center=True, pad_mode="constant"
    )[0]
    # The same chain librosa.feature.mfcc(y=...) runs, spelled out so every setting is visible.
    mel_power = librosa.feature.melspectrogram(
        y=samples,
        sr=SR,
        n_fft=N_FFT,
        hop_length=HOP_LENGTH,
        win_length=WIN_LENGTH,
        window="hann",
        center=True,
        pad_mode="constant",
        power=2.0,
        n_mels=N_MELS,
        fmin=FMIN,
        fmax=FMAX,
        htk=False,
        norm="slaney",
    )
    mel_db = librosa.power_to_db(mel_power, ref=1.0, amin=AMIN, top_db=TOP_DB)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC, dct_type=2, norm="ortho", lifter=0)
    melfb = librosa.filters.mel(
        sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=False, norm="slaney"
    )

    # Pitch-shift reference: librosa.effects.pitch_shift with the phase vocoder size AudioAugmenter
    # uses (1024). The resamplers differ (soxr vs our windowed sinc), so the test compares levels
    # and the per-frame RMS envelope, not samples.
    pitch_shift = {}
    for n_steps in PITCH_STEPS:
        shifted = librosa.effects.pitch_shift(samples, sr=SR, n_steps=n_steps, n_fft=VOCODER_N_FFT)
        envelope = librosa.feature.rms(
            y=shifted, frame_length=N_FFT, hop_length=HOP_LENGTH, center=True, pad_mode="constant"
        )[0]
        pitch_shift[str(n_steps)] = {
            "rms_dbfs": float(10 * np.log10(np.mean(shifted.astype(np.float64) ** 2))),
            "frame_rms": [round(float(v), 7) for v in envelope],
        }

    # Silence trimming reference: librosa.effects.trim with our framing (AudioSignal.silenceTrimmedRange).
    trim = {}
    for top_db in TRIM_TOP_DB:
        _, (start, end) = librosa.effects.trim(
            samples, top_db=top_db, frame_length=N_FFT, hop_length=HOP_LENGTH
        )
        trim[str(top_db)] = [int(start), int(end)]

    frames = zcr.shape[0]
    assert rms.shape == (frames,) and mfcc.shape == (N_MFCC, frames)

    def write_f32(name: str, array: np.ndarray) -> None:
        np.ascontiguousarray(array, dtype="<f4").tofile(os.path.join(OUT, name))

    write_f32("librosa_zcr.f32", zcr)
    write_f32("librosa_rms.f32", rms)
    write_f32("librosa_mfcc.f32", mfcc)
    write_f32("librosa_melfb.f32", melfb)

    meta = {
        "generator": "scripts/make_librosa_fixture.py",
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "source": "ravdess-speech/Actor_01/03-01-05-01-01-01-01.flac",
        "excerpt_start_s": START_S,
        "excerpt_duration_s": DURATION_S,
        "samples": int(samples.shape[0]),
        "frames": int(frames),
        "config": {
            "sampleRate": SR,
            "nFFT": N_FFT,
            "winLength": WIN_LENGTH,
            "hopLength": HOP_LENGTH,
            "nMels": N_MELS,
            "nMFCC": N_MFCC,
            "fMin": FMIN,
            "fMax": FMAX,
            "topDB": TOP_DB,
            "amin": AMIN,
        },
        "pitch_shift_n_fft": VOCODER_N_FFT,
        "pitch_shift": pitch_shift,
        "trim": trim,
        "files": {
            "zcr": ["librosa_zcr.f32", [frames]],
            "rms": ["librosa_rms.f32", [frames]],
            "mfcc": ["librosa_mfcc.f32", [N_MFCC, frames]],
            "melfb": ["librosa_melfb.f32", [N_MELS, N_FFT // 2 + 1]],
        },
    }
    with open(os.path.join(OUT, "librosa_expected.json"), "w") as handle:
        json.dump(meta, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print(f"wrote fixture: {samples.shape[0]} samples, {frames} frames -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
