"""`WorldModelScorer`: the trained world model behind the Scorer protocol.

For each query (before b, instruction a, candidates c_1..c_K) it batches every candidate of every query:

    energy            E(b, a, c) = ||P(z_b, a) - z_c||² on unit latents; lower = more plausible
    no_action_energy  E(b, ∅, c) with the learned null action
    action_gain       E(b, ∅, c) - E(b, a, c); HIGHER = the instruction explains c better than no instruction
    consensus         mean cosine of z_c to the other candidates' latents in the same query, each counted
                      as often as it was sampled (`Query.weights`); HIGHER = more typical
    parses            1.0 if the candidate parses as Python, else 0.0; HIGHER = better
    final_score       the checkpoint's calibrator over the features it names, else -energy; HIGHER =
                      better. A v2 calibrator fuses the model's signals with the static ones
                      (validity, token consensus, duplicate count: `scoring/fusion.py`)

    term:<feature>    that feature's term of final_score (weight * standardised value): what decided it
    cut_tokens        tokens of the candidate's aligned input the model did not see (0 = it saw it
                      whole); before_cut_tokens the same for the before

`energy_z` and `consensus` (and so `final_score`) depend on the other candidates of the same call;
for one candidate consensus is undefined and `energy_z` is 0.

`PoolScores.energies` is `-final_score`, so ranking by energies (lower first) ranks by final_score.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor

from codelewm.checkpoint.calibrator import Calibrator
from codelewm.checkpoint.features import (
    before_input,
    candidate_input,
    stack_actions,
    stack_sequences,
)
from codelewm.checkpoint.read import load_checkpoint
from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.model.edit_input import EditSequence
from codelewm.model.world_model import WorldModel
from codelewm.scoring.deadline import check_deadline
from codelewm.scoring.fusion import (
    model_features,
    parses,
    static_features,
    vote_weights,
    weighted_consensus,
)
from codelewm.scoring.protocol import TERM_PREFIX, PoolScores, Query


class WorldModelScorer:
    """Scores candidates with a WorldModel; see the module docstring for the components."""

    def __init__(
        self,
        model: WorldModel,
        tokenizer: CodeTokenizer,
        *,
        calibrator: Calibrator | None = None,
        static_calibrator: Calibrator | None = None,
        execution_calibrator: Calibrator | None = None,
        batch_size: int = 64,
        checkpoint_id: str = "in-memory",
        checkpoint_sha256: str = "",
        cache_size: int = 131072,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.calibrator = calibrator
        # the same fusion without the model's terms, fitted beside `calibrator` (eval's control row)
        self.static_calibrator = static_calibrator
        # the opt-in execution-aware score over final_score and what ran (never used by scoring
        # itself, which executes nothing: `eval/execution_fusion.py` applies it after a run)
        self.execution_calibrator = execution_calibrator
        self.batch_size = batch_size
        self.checkpoint_id = checkpoint_id
        self.checkpoint_sha256 = checkpoint_sha256
        # Latents of befores and of (before, candidate) pairs, by digest: the model is frozen while a
        # scorer lives (nothing trains through a scorer), so a latent never changes.
        # Bounded: 131,072 latents of d 96 are ~70 MB; P2 (100 queries x 1,000 candidates) fits.
        self.cache = LatentCache(cache_size)

    @classmethod
    def from_checkpoint(
        cls, path: Path, *, device: str = "cpu", batch_size: int = 64, cache_size: int = 131072
    ) -> WorldModelScorer:
        ckpt = load_checkpoint(path, device=device)
        return cls(
            ckpt.model,
            ckpt.tokenizer,
            calibrator=ckpt.calibrator,
            static_calibrator=ckpt.static_calibrator,
            execution_calibrator=ckpt.execution_calibrator,
            batch_size=batch_size,
            cache_size=cache_size,
            checkpoint_id=ckpt.checkpoint_id,
            checkpoint_sha256=ckpt.manifest_sha256,
        )

    @property
    def name(self) -> str:
        return "world-model"

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.inference_mode()
    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Latents of code states encoded alone (as befores are): (N, d_latent) float32."""
        self.model.eval()
        seqs = [before_input(ids, self.model.cfg) for ids in self.tokenizer.encode_batch(texts)]
        return self._encode(seqs).cpu().numpy().astype(np.float32)

    @torch.inference_mode()
    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        self.model.eval()
        model, cfg = self.model, self.model.cfg
        # A latent depends only on the text (before) or on (before, candidate): encode each distinct one
        # once per call. P1 pools repeat one before and one candidate set for every instruction, and
        # LLM sample pools repeat identical samples.
        before_slot: dict[str, int] = {}
        for query in queries:
            before_slot.setdefault(query.before, len(before_slot))
        befores = self.tokenizer.encode_batch(list(before_slot))
        before_keys = [_digest(b"before", text) for text in before_slot]
        z_unique, before_cuts = self._cached(
            before_keys, lambda miss: [before_input(befores[i], cfg) for i in miss]
        )  # (B, d)
        slots = torch.tensor([before_slot[q.before] for q in queries], dtype=torch.long)
        z_b = z_unique[slots.to(z_unique.device)]  # (Q, d)
        actions = self._actions([q.instruction for q in queries])  # (Q, d)
        z_hat = model.predict(z_b, actions).float()  # (Q, d)
        z_null = model.predict(z_b, model.null_action(len(queries))).float()  # (Q, d)
        cand_slot: dict[tuple[int, str], int] = {}
        for query in queries:
            b = before_slot[query.before]
            for code in query.candidates:
                cand_slot.setdefault((b, code), len(cand_slot))
        pairs = list(cand_slot)
        cand_keys = [_digest(before_keys[b], code) for b, code in pairs]

        def candidate_seqs(miss: list[int]) -> list[EditSequence]:
            ids = self.tokenizer.encode_batch([pairs[i][1] for i in miss])
            seqs = []
            for i, cand_ids in zip(miss, ids, strict=True):
                check_deadline()  # the alignment grows with before x candidate length
                seqs.append(candidate_input(befores[pairs[i][0]], cand_ids, cfg, self.tokenizer))
            return seqs

        z_unique_c, cand_cut = self._cached(cand_keys, candidate_seqs)  # (C, d)
        before_cut = dict(zip(before_slot, before_cuts, strict=True))
        rows = [cand_slot[(before_slot[q.before], code)] for q in queries for code in q.candidates]
        owner = [qi for qi, q in enumerate(queries) for _ in q.candidates]
        z_c = z_unique_c[torch.tensor(rows, dtype=torch.long, device=z_unique_c.device)]  # (N, d)
        index = torch.tensor(owner, dtype=torch.long, device=z_c.device)
        energy = model.energy(z_hat[index], z_c).cpu().numpy()  # (N,)
        no_action = model.energy(z_null[index], z_c).cpu().numpy()
        unit = F.normalize(z_c, dim=-1)
        results = []
        start = 0
        for query in queries:
            k = len(query.candidates)
            sl = slice(start, start + k)
            pool = self._pool(query, energy[sl], no_action[sl], unit[sl])
            b = before_slot[query.before]
            cuts = {
                # tokens of each input the model did not see (0 = whole)
                "cut_tokens": tuple(float(cand_cut[cand_slot[(b, c)]]) for c in query.candidates),
                "before_cut_tokens": (float(before_cut[query.before]),) * k,
            }
            results.append(PoolScores(pool.energies, {**pool.components, **cuts}))
            start += k
        return results

    def _pool(
        self,
        query: Query,
        energy: NDArray[np.float32],
        no_action: NDArray[np.float32],
        unit: Tensor,
    ) -> PoolScores:
        k = len(query.candidates)
        e = energy.astype(np.float64)
        gain = no_action.astype(np.float64) - e
        weights = vote_weights(query)
        sims = (unit @ unit.T).cpu().numpy().astype(np.float64) if k > 1 else np.ones((k, k))
        consensus = weighted_consensus(sims, weights)
        parsed = np.array([parses(code) for code in query.candidates], dtype=np.float64)
        terms: dict[str, tuple[float, ...]] = {}
        if self.calibrator is None:
            final = -e
        else:
            features = {
                # v1 features (a calibrator of an older checkpoint names these)
                "energy_z": (e - e.mean()) / (e.std() + 1e-6),
                "action_gain": gain,
                "consensus": consensus,
                "parses": parsed,
            }
            names = self.calibrator.feature_names
            if any(name not in features for name in names):
                features |= model_features(e, no_action.astype(np.float64), consensus)
                features |= static_features(query)
                features["energy_z"] = (e - e.mean()) / (e.std() + 1e-6)
            matrix = np.stack([features[n] for n in names], axis=1)
            final = self.calibrator.score(matrix)
            parts = self.calibrator.terms(matrix)  # (K, F)
            for j, name in enumerate(names):
                terms[f"{TERM_PREFIX}{name}"] = tuple(float(v) for v in parts[:, j])
        return PoolScores(
            energies=tuple(float(v) for v in -final),
            components={
                "energy": tuple(float(v) for v in e),
                "no_action_energy": tuple(float(v) for v in no_action),
                "action_gain": tuple(float(v) for v in gain),
                "consensus": tuple(float(v) for v in consensus),
                "parses": tuple(float(v) for v in parsed),
                "final_score": tuple(float(v) for v in final),
                **terms,
            },
        )

    def _cached(
        self, keys: list[bytes], build: Callable[[list[int]], list[EditSequence]]
    ) -> tuple[Tensor, list[int]]:
        """Latents for `keys` (K, d) and the tokens each input lost to the length cap: cached ones
        reused, the misses built by `build(positions)`."""
        found = self.cache.get_many(keys)
        cuts = self.cache.cuts_of(keys)
        miss = [i for i, z in enumerate(found) if z is None]
        if miss:
            seqs = build(miss)
            fresh = self._encode(seqs)
            self.cache.put_many([keys[i] for i in miss], fresh, cuts=[seq.cut for seq in seqs])
            for row, i in enumerate(miss):
                found[i] = fresh[row]
                cuts[i] = seqs[row].cut
        if not keys:
            return torch.zeros(0, self.model.cfg.d_latent, device=self.device), []
        return torch.stack([z for z in found if z is not None]), cuts

    def _encode(self, seqs: Sequence[EditSequence]) -> Tensor:
        cfg = self.model.cfg
        outs = []
        for start in range(0, len(seqs), self.batch_size):
            check_deadline()
            chunk = seqs[start : start + self.batch_size]
            ids, tags, changed = stack_sequences(chunk, cfg.max_len)
            outs.append(
                self.model.encode_bucketed(
                    ids.to(self.device), tags.to(self.device), changed.to(self.device)
                ).float()
            )
        if not outs:
            return torch.zeros(0, cfg.d_latent, device=self.device)
        return torch.cat(outs)

    def _actions(self, instructions: Sequence[str | None]) -> Tensor:
        cfg = self.model.cfg
        rows = [self.tokenizer.encode(text) if text else None for text in instructions]
        outs = []
        for start in range(0, len(rows), self.batch_size):
            ids, mask = stack_actions(rows[start : start + self.batch_size], cfg.action_max_len)
            outs.append(self.model.encode_action(ids.to(self.device), mask.to(self.device)).float())
        return torch.cat(outs) if outs else torch.zeros(0, cfg.d_latent, device=self.device)


class LatentCache:
    """A bounded, thread-safe LRU map digest -> latent (the server scores on several threads)."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[bytes, tuple[Tensor, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get_many(self, keys: Sequence[bytes]) -> list[Tensor | None]:
        with self._lock:
            out: list[Tensor | None] = []
            for key in keys:
                item = self._items.get(key)
                if item is not None:
                    self._items.move_to_end(key)
                out.append(item[0] if item is not None else None)
            found = sum(v is not None for v in out)
            self.hits += found
            self.misses += len(out) - found
            return out

    def cuts_of(self, keys: Sequence[bytes]) -> list[int]:
        """Tokens the model did not see of each key's input (-1 when the key is not cached)."""
        with self._lock:
            return [self._items[k][1] if k in self._items else -1 for k in keys]

    def put_many(
        self, keys: Sequence[bytes], values: Tensor, *, cuts: Sequence[int] | None = None
    ) -> None:
        if self.max_items <= 0:
            return
        cut_list = list(cuts) if cuts is not None else [-1] * len(keys)
        with self._lock:
            for key, value, cut in zip(keys, values, cut_list, strict=True):
                self._items[key] = (value.detach().clone(), cut)
                self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


def _digest(prefix: bytes, text: str) -> bytes:
    h = hashlib.blake2b(prefix, digest_size=16)
    h.update(b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()
