"""The self-contained HTML page: structure, redaction, escaping, no external resources."""

from __future__ import annotations

import re
from pathlib import Path

from views_fixtures import BEFORE, PLANTED_KEY, make_rerank
from views_html_probe import by_id, external_references, inside, parse, with_class

from codelewm.records import RerankRecord
from codelewm.views import ViewModel, build_view_model, render_html, write_html


def _vm(rerank: RerankRecord) -> ViewModel:
    return build_view_model(
        rerank, before=BEFORE, title="moving_average: off-by-one", extra_facts={"model": "wm-4L"}
    )


def test_ranking_rows_and_candidates_in_model_order(rerank: RerankRecord) -> None:
    elements = parse(render_html(_vm(rerank)))
    ranking = by_id(elements, "ranking")
    rows = [e for e in with_class(elements, "rank-row") if inside(e, ranking)]
    order = ["good-fix", "subtle-bug", "noop", "broken-patch"]
    assert [row.attrs["data-candidate-id"] for row in rows] == order
    fills = [e for e in with_class(elements, "fill") if inside(e, ranking)]
    assert [fill.attrs["style"] for fill in fills] == [
        "width: 100.0%",
        "width: 72.4%",
        "width: 0.0%",
        "width: 0.0%",
    ]
    cards = with_class(elements, "candidate")
    assert [card.attrs["data-candidate-id"] for card in cards] == order
    assert [card.attrs["id"] for card in cards] == ["cand-1", "cand-2", "cand-3", "cand-4"]
    assert "PatchError" in rows[3].inner_text() and "invalid" in rows[3].classes


def test_unified_and_side_by_side_diffs_per_candidate(rerank: RerankRecord) -> None:
    elements = parse(render_html(_vm(rerank)))
    good, _, noop, broken = with_class(elements, "candidate")
    unified = next(e for e in with_class(elements, "diff-unified") if inside(e, good))
    added = [e.inner_text() for e in with_class(elements, "add") if inside(e, unified)]
    assert added == ["+    for start in range(len(values) - window + 1):"]
    sbs = next(e for e in with_class(elements, "diff-sbs") if inside(e, good))
    replaced = [e for e in with_class(elements, "replace") if inside(e, sbs)]
    assert len(replaced) == 1
    assert "range(len(values) - window):" in replaced[0].inner_text()
    assert "range(len(values) - window + 1):" in replaced[0].inner_text()
    assert not [e for e in with_class(elements, "diff") if inside(e, noop)]
    assert "identical to the before" in noop.inner_text()
    assert "hunk 1 does not apply" in broken.inner_text()
    assert "hint: Give a unified diff" in broken.inner_text()


def test_orders_facts_warnings_and_execution(rerank: RerankRecord) -> None:
    elements = parse(render_html(_vm(rerank)))
    orders = {e.attrs["data-ranker"]: e for e in with_class(elements, "order")}
    assert list(orders) == ["model", "lexical", "bm25"]
    lexical = [e.inner_text() for e in elements if e.tag == "li" and inside(e, orders["lexical"])]
    assert lexical == ["noop", "good-fix", "subtle-bug"]
    facts = by_id(elements, "facts").inner_text()
    assert "codelewm-default-0.1" in facts and "ab" * 32 in facts and "wm-4L" in facts
    assert "calibrator missing" in by_id(elements, "warnings").inner_text()
    assert "No code was executed" in by_id(elements, "execution").inner_text()
    executed = parse(render_html(build_view_model(make_rerank(executed=True), before=BEFORE)))
    banner = by_id(executed, "execution")
    assert "executed" in banner.classes
    assert "isolation: subprocess, rlimits" in banner.inner_text()


def test_planted_key_never_reaches_the_page(rerank: RerankRecord) -> None:
    assert PLANTED_KEY in (rerank.results[3].after_code or "")
    page = render_html(_vm(rerank))
    assert PLANTED_KEY not in page
    assert "sk-or-v1-0123" not in page
    assert "[REDACTED:openrouter_key:sha256=" in page


def test_a_view_model_built_by_hand_is_redacted_too(rerank: RerankRecord) -> None:
    vm = _vm(rerank).model_copy(update={"title": f"leak {PLANTED_KEY}"})
    assert PLANTED_KEY not in render_html(vm)


def test_no_external_resources_and_a_strict_policy(rerank: RerankRecord) -> None:
    results = list(rerank.results)
    url_code = BEFORE.replace('"""Return', '"""See https://example.com/docs. Return')
    results[0] = results[0].model_copy(update={"after_code": url_code})
    page = render_html(_vm(rerank.model_copy(update={"results": results})))
    elements = parse(page)
    assert external_references(elements) == []
    assert not [e for e in elements if e.tag in {"script", "link", "img", "iframe", "object"}]
    assert "@import" not in page and not re.search(r"url\(", page)
    policy = next(e for e in elements if e.attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.attrs["content"].startswith("default-src 'none';")
    assert "See https://example.com/docs." in page  # shown as text, never loaded
    plain = render_html(_vm(make_rerank()))
    assert "http://" not in plain and "https://" not in plain


def test_candidate_text_is_escaped(rerank: RerankRecord) -> None:
    results = list(rerank.results)
    hostile = BEFORE + "# </pre><script>alert(1)</script><img src=x onerror=alert(2)>\n"
    results[1] = results[1].model_copy(
        update={"after_code": hostile, "candidate_id": '"><b id="pwn">'}
    )
    page = render_html(_vm(rerank.model_copy(update={"results": results})))
    elements = parse(page)
    assert not [e for e in elements if e.tag in {"script", "img"}]
    assert not [e for e in elements if e.attrs.get("id") == "pwn"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    ids = [e.attrs["data-candidate-id"] for e in with_class(elements, "candidate")]
    assert '"><b id="pwn">' in ids


def test_write_html_writes_the_page_atomically(rerank: RerankRecord, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    vm = _vm(rerank)
    assert write_html(vm, target) == target
    assert target.read_text(encoding="utf-8") == render_html(vm)
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
