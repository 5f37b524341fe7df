"""Whether search has an answer: a calibrated probability from the best hit's evidence.

A raw score threshold tuned on a dozen demo questions said "confident" for half the questions
nobody can answer (issue 11). Instead the evidence of the best hit — the cosine similarity of
its best passage to the question, and the share of the question's key concepts that passage
mentions — goes through a logistic model fitted on labelled questions (``tools/calibrate.py``,
from the tuning split of the dev sets; ``calibration.json`` records what it was fitted on).
With the semantic half off, or the hit not embedded yet, a second model reads the lexical
evidence alone.

Two bars on the probability: ``ask`` for an answer someone asked for, and the stricter
``passive`` for a reply nobody asked for, in a channel that opted in. A wrong answer posted
into a thread costs more than a missed one, so the passive bar sits where a wrong answer is
four times as unlikely as a right one (0.8).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

ASK_BAR: Final = 0.5
PASSIVE_BAR: Final = 0.8


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the best hit has going for it."""

    cosine: float | None  # best passage's similarity to the question; None when not embedded
    coverage: float  # share of the question's (idf-weighted) concepts its best passage mentions
    lexical: float  # its lexical score, 0..1 over what the question's terms could earn


@dataclass(frozen=True, slots=True)
class Judgement:
    probability: float
    confident: bool
    sure: bool


@dataclass(frozen=True, slots=True)
class Logistic:
    """p = sigmoid(bias + sum(weight x feature)) over named features."""

    weights: dict[str, float]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True, slots=True)
class Calibration:
    semantic: Logistic
    lexical: Logistic
    ask: float = ASK_BAR
    passive: float = PASSIVE_BAR
    about: dict[str, Any] = field(default_factory=dict)  # what it was fitted on

    def judge(self, evidence: Evidence) -> Judgement:
        p = self.probability(evidence)
        return Judgement(p, p >= self.ask, p >= max(self.passive, self.ask))

    def probability(self, evidence: Evidence) -> float:
        if evidence.cosine is not None:
            return self.semantic.probability(semantic_features(evidence))
        return self.lexical.probability(lexical_features(evidence))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        def logistic(part: dict[str, Any]) -> Logistic:
            return Logistic({k: float(v) for k, v in part["weights"].items()}, float(part["bias"]))

        return cls(
            semantic=logistic(data["semantic"]),
            lexical=logistic(data["lexical"]),
            ask=float(data.get("ask", ASK_BAR)),
            passive=float(data.get("passive", PASSIVE_BAR)),
            about=dict(data.get("about", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "semantic": {"weights": self.semantic.weights, "bias": self.semantic.bias},
            "lexical": {"weights": self.lexical.weights, "bias": self.lexical.bias},
            "ask": self.ask,
            "passive": self.passive,
            "about": self.about,
        }


def semantic_features(evidence: Evidence) -> dict[str, float]:
    return {"cosine": evidence.cosine or 0.0, "coverage": evidence.coverage}


def lexical_features(evidence: Evidence) -> dict[str, float]:
    return {"lexical": evidence.lexical, "coverage": evidence.coverage}


def load_calibration(path: Path | None = None) -> Calibration:
    """The shipped calibration (``calibration.json`` beside this module), or another file."""
    if path is None:
        text = resources.files("knowledge.search").joinpath("calibration.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return Calibration.from_json(json.loads(text))
