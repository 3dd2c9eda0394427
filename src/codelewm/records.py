"""Typed records exchanged between areas and written to disk.

Each record carries its JSON schema name in `schema_version`; fields are added, never renamed, within a
major version. `codelewm schemas export DIR` writes the JSON Schemas; `docs/schemas/` holds the committed
copies and a test fails when they drift from this module.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JsonScalar = str | int | float | bool | None


class Record(BaseModel):
    """Base for every record: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


# --- data -------------------------------------------------------------------------------------

TransitionSource = Literal[
    "git", "ruff", "mutations", "releases", "stubs", "jsonl", "exercism", "quixbugs", "doctests"
]
InstructionKind = Literal["commit", "rule", "template", "docstring", "abstract", "external", "task"]
Split = Literal["train", "val", "test"]


class TransitionRecord(Record):
    """One edit of one function: `before + instruction -> after` (`codelewm.transition.v1`)."""

    schema_version: Literal["codelewm.transition.v1"] = "codelewm.transition.v1"
    transition_id: str = Field(
        description="sha256 prefix of (source, group, path, symbol, before, instruction, after)"
    )
    source: TransitionSource
    group: str = Field(description="split unit: repository or package name")
    split: Split | None = None
    path: str = Field(description="file path inside the group (posix, relative)")
    symbol: str = Field(description="qualified name of the primary function or method")
    before: str = Field(description="the primary function before the edit")
    after: str = Field(description="the primary function after the edit")
    instruction: str | None = Field(
        default=None, description="None means no instruction (null action)"
    )
    instruction_kind: InstructionKind
    context: str = Field(
        default="", description="capsule context: imports, class header, sibling signatures"
    )
    truncated: list[str] = Field(
        default_factory=list, description="what structured truncation dropped"
    )
    license: str | None = None
    meta: dict[str, JsonScalar] = Field(default_factory=dict)


class PoolMember(Record):
    """One after-state of a same-before pool, reached by its own instruction."""

    transition_id: str
    instruction: str | None
    instruction_kind: InstructionKind
    after: str


class SameBeforePool(Record):
    """Afters that share one before, each with its own instruction (P1; `codelewm.same_before_pool.v1`)."""

    schema_version: Literal["codelewm.same_before_pool.v1"] = "codelewm.same_before_pool.v1"
    pool_id: str
    source: TransitionSource
    group: str
    split: Split | None = None
    path: str
    symbol: str
    before: str
    context: str = ""
    members: list[PoolMember]


class PoolCandidate(BaseModel):
    """A candidate in a rerank pool; extra fields from other tools are kept."""

    model_config = ConfigDict(extra="allow")

    candidate_id: str
    code: str = Field(description="full candidate after-state, or a unified diff against `before`")
    passed: bool | None = None


class RerankPool(BaseModel):
    """One labelled or unlabelled pool, the interchange format (`codelewm.rerank_pool.v1`, JSONL)."""

    model_config = ConfigDict(extra="allow")

    schema_version: Literal["codelewm.rerank_pool.v1"] = "codelewm.rerank_pool.v1"
    pool_id: str
    before: str
    instruction: str | None
    candidates: list[PoolCandidate]


# --- scoring ----------------------------------------------------------------------------------

CandidateKind = Literal["full", "patch"]


class CandidateRecord(Record):
    """An untrusted candidate as received (`codelewm.candidate.v1`)."""

    schema_version: Literal["codelewm.candidate.v1"] = "codelewm.candidate.v1"
    candidate_id: str
    kind: CandidateKind
    origin: str = Field(description="file path it came from, or 'inline'")
    text: str = Field(description="the full code or the patch text as given")
    sha256: str


class ErrorRecord(Record):
    """A refused request or failed command (`codelewm.error.v1`)."""

    schema_version: Literal["codelewm.error.v1"] = "codelewm.error.v1"
    error_type: str
    message: str
    remediation: str
    caused_by: str | None = None
    exit_code: int | None = None


class Validity(Record):
    """Static checks on a candidate: nothing is executed."""

    parses: bool
    applies: bool = Field(
        description="True for full files; for patches, whether it applied to the before"
    )
    undefined_names: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.parses and self.applies and not self.undefined_names


class ExecutionSummary(Record):
    """Result of an opt-in test run of one candidate in the sandbox."""

    status: str
    isolation: list[str]
    duration_s: float
    checks: str = Field(
        default="tests", description="what ran: the tests file's name, or 'examples'"
    )
    tests_run: int | None = Field(default=None, description="unittest-style runs: tests counted")
    tests_passed: int | None = None
    passed_fraction: float | None = Field(
        default=None, description="tests_passed / tests_run; 1.0 or 0.0 for a pass/fail script"
    )
    passed_checks: list[str] | None = Field(
        default=None,
        description="ids of the checks this candidate passed, when each check reports on its own "
        "(generated tests: the test ids of the codelewm.generated_tests.v1 set)",
    )
    agreement: float | None = Field(
        default=None,
        description="CodeT dual agreement (generated tests): the sample weight of the candidates "
        "that pass exactly the same tests, times the number of those tests",
    )
    cluster_share: float | None = Field(
        default=None,
        description="examples: the share of the call's candidates that returned the same on every "
        "example input (MBR-exec behaviour cluster)",
    )
    probe_share: float | None = Field(
        default=None,
        description="examples: the share of the top tier (most examples passed) that returned the "
        "same on every probe input near the examples' (None: not probed)",
    )
    execution_score: float | None = Field(
        default=None,
        description="examples: the execution-aware score within its tier of examples passed (the "
        "checkpoint's calibrator over the static final score and the behaviour clusters; a logit, "
        "higher is better): the candidates that ran rank by passed_fraction, then by this",
    )
    execution_terms: dict[str, float] = Field(
        default_factory=dict,
        description="examples: each calibrator feature's term of execution_score (static_z, "
        "cluster_share, probe_share; weight times standardised value): what decided the order "
        "within a tier",
    )


class ScoreRecord(Record):
    """Scores of one candidate (`codelewm.score.v1`). Lower energy = more plausible."""

    schema_version: Literal["codelewm.score.v1"] = "codelewm.score.v1"
    rank: int | None = None
    candidate_id: str
    origin: str = "inline"
    final_score: float | None = Field(
        default=None, description="higher is better; None for invalid candidates"
    )
    energy: float | None = None
    no_action_energy: float | None = None
    action_gain: float | None = Field(default=None, description="no_action_energy - energy")
    consensus: float | None = Field(
        default=None,
        description="mean latent similarity to the other candidates of the call; None (n/a) when the "
        "call scored one candidate",
    )
    signal_terms: dict[str, float] = Field(
        default_factory=dict,
        description="each calibrator feature's term of final_score (weight * standardised value); "
        "final_score = calibrator bias + their sum",
    )
    baseline_scores: dict[str, float] = Field(
        default_factory=dict,
        description="each baseline's score, HIGHER = better (the negated baseline energy)",
    )
    validity: Validity
    after_code: str | None = Field(
        default=None, description="the candidate after-state that was scored"
    )
    error: ErrorRecord | None = None
    execution: ExecutionSummary | None = None
    checkpoint_id: str
    checkpoint_sha256: str
    input_digest: str
    warnings: list[str] = Field(default_factory=list)


#: numbers of a ScoreRecord that depend on the other candidates of the same call
POOL_RELATIVE_FIELDS: tuple[str, ...] = (
    "rank",
    "final_score",
    "consensus",
    "signal_terms.energy_z",
    "signal_terms.consensus",
    "baseline_scores.consensus",
)


class SignalDelta(Record):
    """How much one signal separated the recommended candidate from the runner-up."""

    signal: str
    recommended: float
    runner_up: float
    delta: float = Field(description="recommended - runner_up, in final_score (logit) units")


class Recommendation(Record):
    """Which candidate to pick and why (`codelewm.recommendation.v1`)."""

    schema_version: Literal["codelewm.recommendation.v1"] = "codelewm.recommendation.v1"
    candidate_id: str | None = Field(description="rank 1 when it is usable, else None")
    runner_up: str | None = None
    margin: float | None = Field(
        default=None,
        description="final_score(recommended) - final_score(runner-up), logit units; after "
        "--execute examples with the execution-aware calibrator, the same in execution_score when "
        "both passed as many examples",
    )
    share: float | None = Field(
        default=None,
        description="softmax of the final scores (or execution scores, as margin) of the ranked "
        "candidates: the relative preference among THESE candidates, not a probability of being "
        "correct",
    )
    deciding_signals: list[SignalDelta] = Field(default_factory=list)
    agreeing_baselines: list[str] = Field(
        default_factory=list, description="baselines that also rank the recommended candidate first"
    )
    reason: str


class ClaimSummary(Record):
    """One downstream claim of a model's evaluation report."""

    pools: str
    allowed: bool
    model: float
    strongest_baseline: str
    baseline: float
    lift: float
    lift_low: float
    lift_high: float
    statement: str


class ModelTrust(Record):
    """How far the model's ranking may be trusted, from its evaluation reports (`codelewm.trust.v1`)."""

    schema_version: Literal["codelewm.trust.v1"] = "codelewm.trust.v1"
    state: Literal["shown-to-help", "not-shown", "unevaluated"]
    statement: str
    evidence: str = Field(description="where the numbers are, and the command that reproduces them")
    claims: list[ClaimSummary] = Field(default_factory=list)


class RerankRecord(Record):
    """A ranked list of candidates for one before and instruction (`codelewm.rerank.v1`)."""

    schema_version: Literal["codelewm.rerank.v1"] = "codelewm.rerank.v1"
    instruction: str | None
    before_sha256: str
    input_digest: str
    checkpoint_id: str
    checkpoint_sha256: str
    executed: bool = Field(default=False, description="True when candidates were run against tests")
    results: list[ScoreRecord]
    recommendation: Recommendation | None = None
    trust: ModelTrust | None = None
    dedented_columns: int = Field(
        default=0,
        description="indent removed from the before and candidates (code cut from a class) before "
        "scoring; after_code is the dedented text",
    )
    pool_relative: list[str] = Field(
        default_factory=lambda: list(POOL_RELATIVE_FIELDS),
        description="the numbers of each result that depend on the other candidates of this call",
    )
    warnings: list[str] = Field(default_factory=list)


class IndexHit(Record):
    """One past edit found by `codelewm index query`."""

    rank: int
    similarity: float = Field(description="cosine of the query latent and the edit's latent")
    transition_id: str
    source: str
    group: str
    path: str
    symbol: str
    instruction: str | None
    diff: str = Field(description="unified diff of the transition's before -> after")


class IndexQueryRecord(Record):
    """Past edits like this one: nearest training transitions (`codelewm.index_query.v1`)."""

    schema_version: Literal["codelewm.index_query.v1"] = "codelewm.index_query.v1"
    index_id: str
    checkpoint_id: str
    query: Literal["predicted", "candidate"] = Field(
        description="'predicted': the model's predicted after-latent for before + instruction; "
        "'candidate': the given candidate's latent as an edit of the before"
    )
    k: int
    hits: list[IndexHit]
    warnings: list[str] = Field(default_factory=list)


# --- artifacts --------------------------------------------------------------------------------


class FileEntry(Record):
    path: str = Field(description="posix path relative to the artifact root")
    sha256: str
    bytes: int


class ParentRef(Record):
    artifact_id: str
    artifact_kind: str
    manifest_sha256: str
    path: str | None = None


class ArtifactManifest(Record):
    """`manifest.json` of every artifact directory (`codelewm.artifact_manifest.v1`)."""

    schema_version: Literal["codelewm.artifact_manifest.v1"] = "codelewm.artifact_manifest.v1"
    artifact_id: str = Field(
        description="<kind>-<sha256[:16]> of the kind, config and file digests"
    )
    artifact_kind: str
    created_at: str = Field(description="UTC, ISO 8601")
    source_git_sha: str = "unknown"
    command: list[str]
    config_sha256: str
    parent_artifacts: list[ParentRef] = Field(default_factory=list)
    files: list[FileEntry]
    metadata: dict[str, Any] = Field(default_factory=dict)


VerifyProblemKind = Literal[
    "manifest_invalid",
    "unsafe_path",
    "symlink",
    "missing_file",
    "not_a_file",
    "duplicate_entry",
    "size_mismatch",
    "sha256_mismatch",
    "unlisted_file",
    "artifact_id_mismatch",
    "config_mismatch",
    "parent_invalid",
    "parent_not_declared",
    "parent_mismatch",
]


class VerifyProblem(Record):
    path: str = Field(description="file path relative to the artifact root, or a parent's path")
    kind: VerifyProblemKind
    detail: str


class VerifyReport(Record):
    """What `codelewm manifest verify` found (`codelewm.manifest_verify.v1`): every problem, not the first."""

    schema_version: Literal["codelewm.manifest_verify.v1"] = "codelewm.manifest_verify.v1"
    path: str
    ok: bool
    artifact_id: str | None = None
    artifact_kind: str | None = None
    files_checked: int = 0
    problems: list[VerifyProblem] = Field(default_factory=list)
    parents_checked: list[str] = Field(
        default_factory=list, description="declared parent ids verified against a given --parent"
    )
    parents_unchecked: list[str] = Field(
        default_factory=list, description="declared parent ids no --parent path was given for"
    )


# --- secret scanning --------------------------------------------------------------------------

SecretDetector = Literal["codelewm", "detect-secrets"]
NotScannedReason = Literal[
    "binary", "not_utf8", "symlink", "not_a_file", "unreadable", "too_large", "extension", "vcs_dir"
]


class SecretFinding(Record):
    """One credential found; the secret itself is never stored, only a hash prefix and its length."""

    path: str
    line: int = Field(description="1-based line where the secret starts")
    kind: str
    detector: SecretDetector
    sha256_prefix: str = Field(description="first 8 hex of sha256 of the secret")
    length: int
    redaction: str = Field(description="what redact() puts in place of the secret")


class NotScanned(Record):
    path: str
    reason: NotScannedReason
    detail: str


class SecretScanReport(Record):
    """What `codelewm secret-scan` found (`codelewm.secret_scan.v1`)."""

    schema_version: Literal["codelewm.secret_scan.v1"] = "codelewm.secret_scan.v1"
    paths: list[str]
    ok: bool = Field(description="no findings (and, when strict, nothing left unscanned)")
    strict: bool = False
    files_scanned: int
    findings: list[SecretFinding] = Field(default_factory=list)
    not_scanned: list[NotScanned] = Field(default_factory=list)
    detectors: list[str] = Field(
        description="our pattern kinds and the detect-secrets plugins used"
    )


# --- generated tests (CodeT) ------------------------------------------------------------------


GENERATED_TESTS_KIND = "llm-generated-tests"  # the artifact kind `codelewm llm tests` writes
GENERATED_TESTS_FILE = "tests.jsonl"  # its codelewm.generated_tests.v1 sets, one task per line


class GeneratedTest(Record):
    """One LLM-written test: `assert <entry_point>(<literals>) == <literal>` (`code.asserts`)."""

    test_id: str
    source: str = Field(description="the assert, normalized with ast.unparse")
    sha256: str = Field(description="sha256 of `source`")
    origin: str = Field(description="which completion it came from: llm:request<i>:choice<j>")


class GeneratedTestSet(Record):
    """The generated tests of one task (`codelewm.generated_tests.v1`), keyed by `task_id` (a pool
    id in pool files). Untrusted: only candidates run them, in the sandbox, on request."""

    schema_version: Literal["codelewm.generated_tests.v1"] = "codelewm.generated_tests.v1"
    task_id: str
    entry_point: str = Field(description="the function every test calls")
    before_sha256: str
    tests: list[GeneratedTest]
    tests_sha256: str = Field(description="sha256 of the tests' sources joined by newlines")
    discarded: dict[str, int] = Field(
        default_factory=dict, description="answer statements not kept, by reason"
    )
    generator: str = Field(description="provider:model that wrote them ('fixture:...' = dry-run)")


EXPORTED_SCHEMAS: dict[str, type[BaseModel]] = {
    "codelewm.transition.v1": TransitionRecord,
    "codelewm.candidate.v1": CandidateRecord,
    "codelewm.score.v1": ScoreRecord,
    "codelewm.rerank.v1": RerankRecord,
    "codelewm.error.v1": ErrorRecord,
    "codelewm.index_query.v1": IndexQueryRecord,
    "codelewm.artifact_manifest.v1": ArtifactManifest,
    "codelewm.rerank_pool.v1": RerankPool,
    "codelewm.same_before_pool.v1": SameBeforePool,
    "codelewm.manifest_verify.v1": VerifyReport,
    "codelewm.secret_scan.v1": SecretScanReport,
    "codelewm.generated_tests.v1": GeneratedTestSet,
}
