"""Synthetic Tangerang Selatan survey waves with known ground truth.

Real ASN microdata are confidential, so the toolkit ships a simulator: a synthetic
city government (OPDs, PNS and PPPK with valid NIPs and Indonesian names), training
cohorts with planted learning and behaviour effects, a staggered, non-random rollout of
merit-system dialogues with a known effect on resistance, and monthly SKM answers per
service unit with a trend, seasonality and an online-permit launch. Files come in the
formats ingestion accepts (CSV variants, XLSX, KoboToolbox-style exports) with a small,
configurable share of deliberately messy rows. ``truth.json`` holds the true value of
every estimand, keyed by the estimand ids the analysis notebooks use.

Everything produced here is synthetic and labelled so (``"synthetic": true`` in
``manifest.json`` and ``truth.json``; ``DataFrame.attrs["synthetic"]``).
See ``docs/simulated_world.md``.

Examples
--------
>>> from asn_research.simulate import simulate_frames
>>> world = simulate_frames(seed=1, size="small")
>>> sorted(world.training["wave"].unique())
['2024-1', '2025-1', '2026-1']
>>> round(world.truth["estimands"]["training.l2.gain_mean"]["value"], 1) > 0
True
"""

from .core import SimulatedFile, SimulatedFrames, SimulationResult, simulate, simulate_frames
from .demo import DemoStore, demo_key, demo_store
from .truth import read_truth
from .world import SIZES, Size

__all__ = [
    "SIZES",
    "DemoStore",
    "SimulatedFile",
    "SimulatedFrames",
    "SimulationResult",
    "Size",
    "demo_key",
    "demo_store",
    "read_truth",
    "simulate",
    "simulate_frames",
]
