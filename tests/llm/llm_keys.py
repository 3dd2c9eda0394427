"""Planted keys for the LLM harness tests, assembled at run time so that this file holds none.

A uniquely named module (not conftest) so test files can import it whatever else is on sys.path.
"""

from __future__ import annotations

# An OpenRouter-shaped key, split so that no scanner flags this file.
PLANTED_OPENROUTER_KEY = "sk-" + "or-v1-" + "5f3a9c1e7b2d4086" * 4
# A key of no known shape: only the exact-value scrubber can catch it.
PLANTED_LOCAL_KEY = "local" + "-fake-key-" + "Q7w2Zr91"
