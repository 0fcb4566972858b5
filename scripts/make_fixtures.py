#!/usr/bin/env python3
"""Synthesize two-voice 1:1 coaching recordings with known turns, silences and overlaps.

Each utterance is spoken by flite (or espeak-ng), converted by sox to 16 kHz mono,
trimmed to its speech, and placed on a timeline with the scripted gap before the next
utterance (a negative gap makes an overlap). A faint seeded noise floor keeps the
silences from being digital zero. Output per recording: ``NAME.wav`` (16-bit PCM) and
``NAME.json`` (ground truth: turns with speaker/start/end/text/kind, silences, overlaps).
Deterministic: the same script and voices give byte-identical files.

    python scripts/make_fixtures.py                 # tests/fixtures/audio + samples/
    python scripts/make_fixtures.py --long-minutes 10 --out /tmp/long   # benchmark audio
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16_000
ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "coachscore.fixture/1"


@dataclass(frozen=True)
class Line:
    """One scripted utterance; ``gap`` = seconds until the next one starts (< 0: overlap)."""

    speaker: str
    text: str
    gap: float
    kind: str = "statement"  # question | statement | backchannel


@dataclass(frozen=True)
class Recording:
    name: str
    lines: tuple[Line, ...]
    voices: dict[str, str]  # speaker -> voice ("flite:rms", "espeak:en-us+m3")
    stereo: bool = False
    bleed: float = 0.0  # crosstalk gain of the other speaker on each channel (stereo)


def Q(speaker: str, text: str, gap: float) -> Line:
    return Line(speaker, text, gap, "question")


def S(speaker: str, text: str, gap: float) -> Line:
    return Line(speaker, text, gap, "statement")


def B(speaker: str, text: str, gap: float) -> Line:
    return Line(speaker, text, gap, "backchannel")


L, C = "leader", "coachee"
FLITE = {L: "flite:rms", C: "flite:slt"}

MONO = Recording(
    "two_voice_mono",
    (
        Q(L, "What is on your mind this week?", 0.3),
        S(C, "The quarterly plan is late, and I am worried about it.", 1.5),
        Q(L, "What makes it late?", 8.0),
        S(C, "Two people left the team last month.", 0.5),
        Q(L, "Did you ask for a replacement?", 1.0),
        S(C, "Not yet.", 2.0),
        S(L, "Let us look at your options together.", 0.0),
    ),
    FLITE,
)

STEREO = Recording(
    "two_voice_stereo",
    (
        Q(L, "How did the customer meeting go?", 0.6),
        S(C, "It went well. They want a second pilot in March.", 2.0),
        Q(L, "What would make that pilot a success for you?", 1.2),
        S(C, "A signed contract, and a team that is not exhausted.", 0.4),
        Q(L, "Which of those matters more?", 4.0),
        S(C, "The team, I think.", 0.8),
        S(L, "That is a clear answer.", 0.0),
    ),
    FLITE,
    stereo=True,
    bleed=0.08,
)

OVERLAP = Recording(
    "two_voice_overlap",
    (
        Q(L, "Tell me about the hiring plan for next quarter.", -0.6),
        S(C, "We need two engineers and a designer, and the budget is approved.", -2.2),
        B(L, "Mm-hmm.", 1.6),
        Q(L, "Who will lead the interviews?", 0.7),
        S(C, "Maria will lead them.", 2.5),
        Q(L, "Is that enough?", 0.4),
        S(C, "Yes.", 0.0),
    ),
    FLITE,
)

# The rescuing leader: the leader talks 85-90 % of the time, the coachee answers in 1-4
# words. A diarizer that lets the dominant voice swallow the other scores a monologue.
DOMINANT = Recording(
    "dominant_leader",
    (
        S(L, "I had a look at last week, and I think the main problem is the review queue.", 0.3),
        Q(L, "Does that match what you see?", 0.6),
        S(C, "Yes.", 0.4),
        S(L, "What I would do is split the queue by product area, one reviewer for each area.", 0.6),
        Q(L, "Have you tried that before?", 0.7),
        S(C, "No idea.", 0.5),
        S(L, "And you should tell the team on Monday, before the planning meeting.", 0.5),
        Q(L, "Can you do that?", 0.5),
        S(C, "I think so.", 0.4),
        S(L, "Good. I will send you my slides, so you do not start from nothing.", 0.6),
        Q(L, "Anything else?", 0.6),
        S(C, "Not really, no.", 0.4),
        S(L, "Great, let us check in next week.", 0.0),
    ),
    FLITE,
)

SAMPLE = Recording(
    "coaching_1on1",
    (
        Q(L, "Thanks for making time today. What would you like to focus on in our session?", 1.2),
        S(C, "I want my team to hit the release date without burning out.", 0.8),
        Q(L, "What would a good outcome look like by the end of this month?", 2.5),
        S(C, "We ship on time, and nobody works the weekend.", 0.6),
        Q(L, "Where are things right now?", 1.0),
        S(C, "We are two weeks behind. The testing backlog keeps growing.", 0.7),
        Q(L, "Have you talked to the team about it?", 0.9),
        S(C, "Yes, briefly.", 0.5),
        Q(L, "What options do you see to close the gap?", 7.0),
        S(C, "Honestly, I don't know.", 0.4),
        S(L, "You should move two people from feature work to testing, and cut the reporting feature.", 1.5),  # noqa: E501
        S(C, "Okay. I could try that.", 0.8),
        Q(L, "What else could you try?", 3.0),
        S(C, "Maybe I could ask the platform team to help with test automation.", -0.4),
        B(L, "Mm-hmm.", 1.0),
        Q(L, "What will you do first, and by when?", 1.5),
        S(C, "I will talk to the platform lead on Monday, and move one tester by Wednesday.", 0.6),
        Q(L, "How will you know it is working?", 2.0),
        S(C, "The backlog should shrink every day next week.", 0.5),
        S(L, "Great. Let us check in on Friday.", 0.0),
    ),
    FLITE,
)

FIXTURES = (MONO, STEREO, OVERLAP, DOMINANT)


# ----------------------------------------------------------------------------- synthesis


def synthesize(text: str, voice: str, workdir: Path) -> np.ndarray:
    """Speech for ``text`` as float32 16 kHz mono, leading/trailing silence trimmed
    (sox -D: no dither, so the output is deterministic)."""
    engine, _, name = voice.partition(":")
    raw, out = workdir / "raw.wav", workdir / "utt.wav"
    if engine == "flite":
        cmd = ["flite", "-voice", name, "-t", text, "-o", str(raw)]
    elif engine == "espeak":
        cmd = ["espeak-ng", "-v", name, "-s", "160", "-w", str(raw), text]
    else:
        raise ValueError(f"unknown voice engine {engine!r}")
    subprocess.run(cmd, check=True, capture_output=True)
    subprocess.run(
        ["sox", "-D", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(out), "norm", "-3"],
        check=True,
        capture_output=True,
    )
    return _trim(_read_wav(out)[0])


def _trim(x: np.ndarray, frame: int = 160, rel: float = 0.02) -> np.ndarray:
    energy = np.sqrt(np.mean(x[: len(x) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    voiced = np.flatnonzero(energy > rel * energy.max())
    return x[voiced[0] * frame : (voiced[-1] + 1) * frame].copy()


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
        return (data / 32768.0).reshape(-1, w.getnchannels()).T


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write (channels, n) float samples in [-1, 1] as 16-bit PCM."""
    pcm = np.clip(np.rint(samples.T * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[0])
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


# ----------------------------------------------------------------------------- timeline


def render(rec: Recording, workdir: Path, lead_in: float = 0.5) -> tuple[np.ndarray, dict]:
    """Place every line on the timeline; return (channels, n) samples and ground truth."""
    speakers = list(dict.fromkeys(line.speaker for line in rec.lines))
    clips = [synthesize(line.text, rec.voices[line.speaker], workdir) for line in rec.lines]
    starts, t, floor_end = [], lead_in, lead_in
    for line, clip in zip(rec.lines, clips):
        starts.append(t)
        end = t + len(clip) / SR
        floor_end = max(floor_end, end)
        # a negative gap overlaps the next line with this one; otherwise the gap counts
        # from the end of all speech so far (a backchannel does not end the other's turn)
        t = max(end + line.gap, t + 0.05) if line.gap < 0 else floor_end + line.gap
    total = max(s + len(c) / SR for s, c in zip(starts, clips)) + lead_in
    tracks = np.zeros((len(speakers), int(round(total * SR))), dtype=np.float32)
    turns = []
    for line, clip, start in zip(rec.lines, clips, starts):
        i = int(round(start * SR))
        tracks[speakers.index(line.speaker), i : i + len(clip)] += 0.5 * clip
        turns.append(
            {
                "speaker": line.speaker,
                "start": round(i / SR, 3),
                "end": round((i + len(clip)) / SR, 3),
                "text": line.text,
                "kind": line.kind,
            }
        )
    samples = _mix(tracks, rec, seed=sum(map(ord, rec.name)))
    truth = _truth(rec, speakers, turns, total)
    return samples, truth


def _mix(tracks: np.ndarray, rec: Recording, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if rec.stereo:
        delay = int(0.004 * SR)  # the other speaker reaches the far mic 4 ms later
        bled = np.roll(tracks[::-1], delay, axis=1) * rec.bleed
        mixed = tracks + bled
    else:
        mixed = tracks.sum(axis=0, keepdims=True)
    noise = rng.normal(0.0, 0.002, size=mixed.shape).astype(np.float32)
    return np.clip(mixed + noise, -1.0, 1.0)


def _truth(rec: Recording, speakers: list[str], turns: list[dict], total: float) -> dict:
    voices = [
        {"label": s, "voice": rec.voices[s], "channel": speakers.index(s) if rec.stereo else None}
        for s in speakers
    ]
    return {
        "schema": SCHEMA,
        "audio": f"{rec.name}.wav",
        "sample_rate": SR,
        "channels": len(speakers) if rec.stereo else 1,
        "duration_s": round(total, 3),
        "speakers": voices,
        "turns": turns,
        "silences": _silences(turns),
        "overlaps": _overlaps(turns),
    }


def _silences(turns: list[dict], min_gap: float = 0.3) -> list[dict]:
    """Gaps >= min_gap s between the end of all speech so far and the next turn."""
    out, end = [], None
    for turn in sorted(turns, key=lambda t: t["start"]):
        if end is not None and turn["start"] - end >= min_gap - 1e-9:
            out.append({"start": end, "end": turn["start"], "duration": round(turn["start"] - end, 3)})
        end = turn["end"] if end is None else max(end, turn["end"])
    return out


def _overlaps(turns: list[dict]) -> list[dict]:
    out = []
    for i, a in enumerate(turns):
        for b in turns[i + 1 :]:
            lo, hi = max(a["start"], b["start"]), min(a["end"], b["end"])
            if hi > lo and a["speaker"] != b["speaker"]:
                out.append({"start": lo, "end": hi, "speakers": sorted([a["speaker"], b["speaker"]])})
    return sorted(out, key=lambda o: o["start"])


def long_recording(minutes: float) -> Recording:
    """A ~``minutes`` long conversation: the sample script repeated with varied pauses."""
    lines, scale = [], [1.0, 0.6, 1.4, 0.8]
    per_pass = 75.0
    for k in range(max(1, int(np.ceil(minutes * 60 / per_pass)))):
        lines += [Line(x.speaker, x.text, x.gap * scale[k % 4] if x.gap > 0 else x.gap, x.kind)
                  for x in SAMPLE.lines[:-1]]
        lines.append(Line(L, SAMPLE.lines[-1].text, 2.0, "statement"))
    return Recording(f"long_{minutes:g}min", tuple(lines), FLITE)


# ----------------------------------------------------------------------------- real voices

REAL_DATA = Path("/work/shared/data/real-audio-dev")
REAL_A = tuple(f"pocketsphinx_librivox_{n}" for n in ("0870", "0880", "0890", "0920", "0930"))
REAL_B = "whisper_jfk"
REAL_GAPS = (0.6, 0.9, -0.3, 1.2, 0.5, 0.8, 1.5, 0.4)  # before each next piece; < 0: overlap


def real_conversation(
    data_dir: Path = REAL_DATA, bleed_db: float | None = None, seed: int = 0
) -> tuple[np.ndarray, dict]:
    """Two real voices taking turns: the LibriVox reader's five clips alternating with
    the JFK clip cut at its pauses (about 38 s), with a shared noise floor.

    ``bleed_db`` None: one mono mix. A number (e.g. -20): stereo, one voice per channel at
    different gains (0.9 and 0.45), each channel hearing the other voice ``bleed_db`` dB
    down and 4 ms late. Reference turns are silero-VAD speech regions of each clean clip
    (so pauses inside a clip are not counted as speech), in seconds on the mix's clock."""
    pieces = _real_pieces(data_dir)
    spans, t = [], 0.5
    for k, (speaker, clip, regions) in enumerate(pieces):
        spans.append((speaker, clip, regions, t))
        t = max(t + 0.1, t + len(clip) / SR + REAL_GAPS[k % len(REAL_GAPS)])
    total = max(start + len(clip) / SR for _, clip, _, start in spans) + 0.5
    tracks = np.zeros((2, int(round(total * SR))), dtype=np.float32)
    turns = []
    for speaker, clip, regions, start in spans:
        i = int(round(start * SR))
        tracks[0 if speaker == "A" else 1, i : i + len(clip)] += clip / max(np.abs(clip).max(), 1e-6)
        turns += [{"speaker": speaker, "start": round(start + a, 3), "end": round(start + b, 3)}
                  for a, b in regions]
    samples = _real_mix(tracks, bleed_db, np.random.default_rng(seed))
    truth = {"duration_s": round(total, 3), "channels": samples.shape[0], "turns": turns}
    return samples, truth


def _real_pieces(data_dir: Path) -> list[tuple[str, np.ndarray, list[tuple[float, float]]]]:
    """[(speaker, 16 kHz clip, its speech regions)]: A's clips interleaved with B's clip
    cut at its pauses (VAD on whole clips: silero needs the context)."""
    clips = [_decode(next((data_dir / name).glob("*.wav"))) for name in REAL_A]
    a = [("A", clip, _speech_regions(clip)) for clip in clips]
    jfk = _decode(next((data_dir / REAL_B).glob("*.flac")))
    regions = _speech_regions(jfk)
    cuts = _cut_at_pauses(regions, min_pause_s=0.4)
    b = [("B", jfk[int(lo * SR) : int(hi * SR)], [(s - lo, e - lo) for s, e in regions if lo <= s and e <= hi])
         for lo, hi in cuts]
    out: list[tuple[str, np.ndarray, list[tuple[float, float]]]] = []
    for k in range(max(len(a), len(b))):
        out += [a[k]] if k < len(a) else []
        out += [b[k]] if k < len(b) else []
    return out


def _cut_at_pauses(regions: list[tuple[float, float]], min_pause_s: float) -> list[tuple[float, float]]:
    """Group speech regions into pieces separated by pauses >= min_pause_s (seconds)."""
    pieces: list[tuple[float, float]] = []
    for s, e in regions:
        if pieces and s - pieces[-1][1] < min_pause_s:
            pieces[-1] = (pieces[-1][0], e)
        else:
            pieces.append((s, e))
    return pieces


def _decode(path: Path) -> np.ndarray:
    sys.path.insert(0, str(ROOT))
    from models.decode import decode_audio

    return decode_audio(path).mono().astype(np.float32)


def _speech_regions(clip: np.ndarray, min_silence_ms: int = 250) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in a clean clip (faster-whisper's silero VAD)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=30)
    return [(r["start"] / SR, r["end"] / SR) for r in get_speech_timestamps(clip, opts)]


def _real_mix(tracks: np.ndarray, bleed_db: float | None, rng) -> np.ndarray:
    shared = rng.normal(0.0, 0.003, size=tracks.shape[1]).astype(np.float32)
    if bleed_db is None:
        return np.clip(0.45 * tracks.sum(axis=0, keepdims=True) + shared, -1.0, 1.0)
    gains = np.array([[0.9], [0.45]], dtype=np.float32)
    near = tracks * gains
    far = np.roll(near[::-1], int(0.004 * SR), axis=1) * 10 ** (bleed_db / 20)
    own = rng.normal(0.0, 0.001, size=tracks.shape).astype(np.float32)
    return np.clip(near + far + shared + own, -1.0, 1.0)


def build(rec: Recording, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coachscore-fixture-") as tmp:
        samples, truth = render(rec, Path(tmp))
    write_wav(out_dir / f"{rec.name}.wav", samples)
    (out_dir / f"{rec.name}.json").write_text(json.dumps(truth, indent=1) + "\n")
    return out_dir / f"{rec.name}.wav"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write here instead of the default folders")
    ap.add_argument("--long-minutes", type=float, help="write one long recording instead")
    args = ap.parse_args(argv)
    missing = [tool for tool in ("flite", "sox") if shutil.which(tool) is None]
    if missing:
        sys.stderr.write(f"missing tools: {', '.join(missing)} (apt-get install flite sox)\n")
        return 2
    if args.long_minutes:
        print(build(long_recording(args.long_minutes), args.out or Path(".")))
        return 0
    for rec in FIXTURES:
        print(build(rec, args.out or ROOT / "tests" / "fixtures" / "audio"))
    print(build(SAMPLE, args.out or ROOT / "samples"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
