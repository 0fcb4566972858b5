"""scripts/bench_pipeline.py and scripts/eval_asr.py: how they build their inputs and score
(no models: the timed runs themselves are the scripts' job, not the suite's)."""

from __future__ import annotations

import importlib.util
import json
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("bench_pipeline")
eval_asr = _load("eval_asr")


def _wav(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def _clip_dir(root: Path, name: str, seconds: float, segments: list[dict]) -> Path:
    wav = _wav(root / name / "clip.wav", np.full(int(16_000 * seconds), 0.25, np.float32))
    (root / name / "reference.json").write_text(json.dumps({"segments": segments}))
    return wav


def test_real_input_puts_meeting_excerpts_first_and_is_concatenated_once(tmp_path):
    solo = _clip_dir(tmp_path, "a_reader", 1.0, [{"speaker": "r", "start": 0, "end": 1, "text": "hi there"}])
    ami = _clip_dir(tmp_path, "ami_x", 2.0, [{"speaker": "A", "start": 0, "end": 1, "text": None},
                                             {"speaker": "B", "start": 1, "end": 2, "text": None}])
    assert bench.real_speech_clips(tmp_path) == [ami, solo]
    rec = bench.build_recording([ami, solo], 0.0, tmp_path / "rec.wav")
    with wave.open(str(rec)) as w:
        assert (w.getframerate(), w.getnframes()) == (16_000, 3 * 16_000)
    looped = bench.build_recording([solo], 0.05, tmp_path / "looped.wav")  # 3 s asked: 3 loops
    with wave.open(str(looped)) as w:
        assert w.getnframes() == 3 * 16_000


def test_eval_takes_single_speaker_clips_with_text_and_normalises_plainly(tmp_path):
    _clip_dir(tmp_path, "solo", 1.0, [{"speaker": "r", "start": 0, "end": 1, "text": "It's Mr. Quilter!"}])
    _clip_dir(tmp_path, "ami_x", 1.0, [{"speaker": "A", "start": 0, "end": 1, "text": None}])
    items = eval_asr.real_items(tmp_path)
    assert [(i.name, i.reference) for i in items] == [("solo", "It's Mr. Quilter!")]
    assert eval_asr.normalise(items[0].reference) == "its mr quilter"


def test_lowest_and_median_of_repeats():
    assert bench.lowest_and_median([3.0, 1.0, 2.0]) == (1.0, 2.0)


def test_meeting_proxies_count_covered_speech_and_words_outside_it(tmp_path):
    from analysis.types import Word

    item = eval_asr.Item(eval_asr.MEET, "m", tmp_path / "m.wav", "", ((0.0, 1.0), (2.0, 3.0)))
    words = [Word("in", 0.1, 0.9), Word("edge", 3.1, 3.2), Word("made-up", 5.0, 5.2)]
    covered, outside = eval_asr.speech_proxies([item], [words], [6.0])
    assert abs(covered - 0.8 / 2.0) < 0.01  # 0.8 s of the 2 s of speech
    assert outside == 1 / 3  # "edge" is within the slack; "made-up" is not
