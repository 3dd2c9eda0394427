from __future__ import annotations

from pathlib import Path

from codelewm.data.sources.ruff import RuffConfig, RuffSource


def test_real_stdlib_functions_give_one_transition_per_rule(excerpt_root: Path) -> None:
    source = RuffSource(RuffConfig(code=[excerpt_root], license="PSF-2.0"))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert [(r.symbol, r.instruction) for r in records] == [
        ("py_encode_basestring_ascii", "RET505: Remove unnecessary `else`"),
        ("JSONEncoder.encode", "RET505: Remove unnecessary `else`"),
        ("py_encode_basestring_ascii", "UP030: Remove explicit positional indices"),
        ("py_encode_basestring_ascii", "UP032: Convert to f-string"),
    ]
    assert {(r.group, r.path, r.license, r.instruction_kind) for r in records} == {
        ("code/excerpt", "excerpt/encoder.py", "PSF-2.0", "rule")
    }
    assert dict(source.skipped) == {}
    ascii_edits = [r for r in records if r.symbol == "py_encode_basestring_ascii"]
    assert len({r.before for r in ascii_edits}) == 1  # one before, three rules: a natural pool
    assert len({r.after for r in ascii_edits}) == 3
    up032 = ascii_edits[-1]
    assert "return f'\\\\u{n:04x}'" in up032.after
    assert "return '\\\\u{0:04x}'.format(n)" in up032.before
    encode = records[1]
    assert "            else:\n" not in encode.after
    assert encode.context == "import re\n\nclass JSONEncoder(object):\n"
    assert encode.meta["rule"] == "RET505"


def test_unparseable_and_non_utf8_files_are_counted(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def f(:\n    pass\n")
    (tmp_path / "latin.py").write_bytes("x = 'gr\xfc\xdf'\n".encode("latin-1"))
    (tmp_path / "_vendor").mkdir()
    (tmp_path / "_vendor" / "dep.py").write_text("def g():\n    return 1\n")
    source = RuffSource(RuffConfig(code=[tmp_path], license="MIT"))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert records == []
    assert dict(source.skipped) == {"vendored_path": 1, "unparseable_file": 1, "non_utf8": 1}
