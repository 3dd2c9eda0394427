"""Natural-language instructions for single-point mutations, in both directions.

Each operator has several templates per direction; `phrase_for` draws one of each from the caller's
`random.Random`, so the phrasing varies across sites while one seed gives one text. Every template
names the function and the code it changes (plus a line number when that code occurs twice), so
exactly one mutant of a function fits an instruction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

_MAX_SNIPPET = 80

_OP_NOUN = {
    "+": "an addition",
    "-": "a subtraction",
    "*": "a multiplication",
    "/": "a true division",
    "//": "a floor division",
    "%": "a modulo",
    "**": "a power",
    "<<": "a left shift",
    ">>": "a right shift",
    "&": "a bitwise and",
    "|": "a bitwise or",
    "^": "a bitwise xor",
}


@dataclass(frozen=True)
class Phrase:
    """What a template needs: the operator, the function, the quoted code before and after."""

    op: str
    func: str
    old: str
    new: str
    line: int | None = None  # set when the quoted code is ambiguous
    facts: dict[str, str] = field(default_factory=dict)


Templates = tuple[tuple[str, ...], tuple[str, ...]]  # (introduce, fix)

_TEMPLATES: dict[str, Templates] = {
    "compare": (
        (
            "change the comparison `{old}` to `{new}` in `{func}`{where}",
            "in `{func}`, use `{new_op}` instead of `{old_op}` in `{old}`{where}",
            "{compare_intro}",
        ),
        (
            "fix the comparison `{new}` in `{func}`{where}: it should be `{old}`",
            "`{new}` in `{func}`{where} should use `{old_op}`, not `{new_op}`",
            "{compare_fix}",
        ),
    ),
    "arith": (
        (
            "use `{new_op}` instead of `{old_op}` in `{old}` in `{func}`{where}",
            "change `{old}` to `{new}` in `{func}`{where}",
            "make `{old}` in `{func}`{where} {new_noun}",
        ),
        (
            "fix the operator in `{new}` in `{func}`{where}: use `{old_op}`",
            "`{new}` in `{func}`{where} should be {old_noun}, not {new_noun}",
            "`{new}` in `{func}`{where} should use `{old_op}` instead of `{new_op}`",
        ),
    ),
    "boolop": (
        (
            "use `{new_op}` instead of `{old_op}` in the condition `{old}` in `{func}`{where}",
            "in `{func}`, combine the parts of `{old}` with `{new_op}`{where}",
            "{bool_intro}",
        ),
        (
            "the condition `{new}` in `{func}`{where} should use `{old_op}`",
            "fix the logic of `{new}` in `{func}`{where}: `{new_op}` should be `{old_op}`",
            "{bool_fix}",
        ),
    ),
    "constant": (
        (
            "change `{old_value}` to `{new_value}`{in_old} in `{func}`{where}",
            "{direction} the constant {old_value}{in_old} by one in `{func}`{where}",
            "in `{func}`, write `{new}` instead of `{old}`{where}",
        ),
        (
            "fix the off-by-one constant{in_new} in `{func}`{where}: it should be {old_value}",
            "the constant {new_value}{in_new} of `{func}`{where} should be {old_value}",
            "the constant {new_value}{in_new} of `{func}`{where} is off by one",
        ),
    ),
    "range": (
        (
            "change `{old}` to `{new}` in `{func}`{where}",
            "{range_intro}",
            "{range_intro}",
        ),
        (
            "fix the off-by-one in the `{new}` call of `{func}`{where}",
            "the bounds of `{new}` in `{func}`{where} are off by one: it should be `{old}`",
            "{range_fix}",
        ),
    ),
    "not": (
        (
            "remove the `not` from `{old}` in `{func}`{where}",
            "invert the condition `{old}` in `{func}`{where} by dropping its `not`",
            "in `{func}`, turn `{old}` into `{new}`{where}",
        ),
        (
            "the condition `{new}` in `{func}`{where} is missing a `not`",
            "negate the condition `{new}` in `{func}`{where}: it should read `{old}`",
            "`{new}` in `{func}`{where} tests the opposite of what it should; add the `not` back",
        ),
    ),
    "swap_args": (
        (
            "swap the arguments `{first}` and `{second}` of the call to `{callee}` in `{func}`{where}",
            "in `{func}`, pass `{second}` before `{first}` to `{callee}`{where}",
            "change the call `{old}` to `{new}` in `{func}`{where}",
        ),
        (
            "the arguments of `{new}` in `{func}`{where} are in the wrong order",
            "fix the argument order in the call to `{callee}` in `{func}`{where}: `{first}` comes first",
            "`{callee}` in `{func}`{where} gets `{second}` and `{first}` swapped",
        ),
    ),
    "delete_stmt": (
        (
            "delete the statement `{old}` from `{func}`{where}",
            "remove the line `{old}` in `{func}`{where}",
            "in `{func}`, drop `{old}`{where}",
        ),
        (
            "`{func}` is missing the statement `{old}`{after_previous}",
            "restore the line `{old}` in `{func}`{after_previous}",
            "add `{old}` back to `{func}`{after_previous}",
        ),
    ),
    "wrong_var": (
        (
            "use `{new_name}` instead of `{old_name}`{in_old} in `{func}`{where}",
            "in `{func}`, replace `{old_name}` with `{new_name}`{in_old}{where}",
            "change `{old}` to `{new}` in `{func}`{where}",
        ),
        (
            "`{new}` in `{func}`{where} uses the wrong variable: it should be `{old_name}`, not `{new_name}`",
            "fix the variable mix-up{in_new} of `{func}`{where}: use `{old_name}`",
            "`{new_name}`{in_new} of `{func}`{where} should be `{old_name}`",
        ),
    ),
    "drop_return": (
        (
            "make `{old}` in `{func}` a bare `return`{where}",
            "return nothing instead of `{value}` from `{func}`{where}",
            "drop the return value `{value}` in `{func}`{where}",
        ),
        (
            "`{func}` should return `{value}`{where}, not `None`",
            "the bare `return` in `{func}`{where} should return `{value}`",
            "fix `{func}`{where}: it returns `None` where it should return `{value}`",
        ),
    ),
}


def phrase_for(phrase: Phrase, rng: random.Random) -> tuple[str, str]:
    """(introduce instruction, fix instruction) for one mutation, templates drawn from `rng`."""
    introduce_templates, fix_templates = _TEMPLATES[phrase.op]
    values = _values(phrase)
    introduce = rng.choice(introduce_templates).format(**values)
    fix = rng.choice(fix_templates).format(**values)
    return introduce, fix


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SNIPPET else text[: _MAX_SNIPPET - 3] + "..."


def _values(phrase: Phrase) -> dict[str, str]:
    facts = {key: _short(value) for key, value in phrase.facts.items()}
    values = {
        **facts,
        "func": phrase.func,
        "old": _short(phrase.old),
        "new": _short(phrase.new),
        "where": f" on line {phrase.line}" if phrase.line is not None else "",
    }
    if phrase.op == "compare":
        values.update(_compare_words(values))
    elif phrase.op == "arith":
        values["old_noun"] = _OP_NOUN[phrase.facts["old_op"]]
        values["new_noun"] = _OP_NOUN[phrase.facts["new_op"]]
    elif phrase.op == "boolop":
        values.update(_bool_words(values))
    elif phrase.op == "constant":
        values["direction"] = "increase" if phrase.facts["delta"] == "1" else "decrease"
        quoted = phrase.old != phrase.facts["old_value"]
        values["in_old"] = f" in `{values['old']}`" if quoted else ""
        values["in_new"] = f" in `{values['new']}`" if quoted else ""
    elif phrase.op == "range":
        values.update(_range_words(values))
    elif phrase.op == "wrong_var":
        quoted = phrase.old != phrase.facts["old_name"]
        values["in_old"] = f" in `{values['old']}`" if quoted else ""
        values["in_new"] = f" in `{values['new']}`" if quoted else ""
    elif phrase.op == "delete_stmt":
        previous = phrase.facts.get("previous", "")
        values["after_previous"] = (
            f" after `{_short(previous)}`" if previous else " at the start of its block"
        ) + values["where"]
    return values


def _compare_words(v: dict[str, str]) -> dict[str, str]:
    old_op, new_op = v["old_op"], v["new_op"]
    strict = {"<", ">"}
    inclusive = {"<=", ">="}
    if (old_op in strict) != (new_op in strict) and {old_op, new_op} <= strict | inclusive:
        new_kind = "inclusive" if new_op in inclusive else "strict"
        old_kind = "inclusive" if old_op in inclusive else "strict"
        intro = f"make the comparison `{v['old']}` in `{v['func']}` {new_kind}{v['where']}"
        fix = (
            f"fix the off-by-one in the comparison `{v['new']}` of `{v['func']}`{v['where']}: "
            f"make it {old_kind}"
        )
    elif {old_op, new_op} <= strict | inclusive:
        intro = f"reverse the direction of the comparison `{v['old']}` in `{v['func']}`{v['where']}"
        fix = f"the comparison `{v['new']}` in `{v['func']}`{v['where']} points the wrong way"
    else:
        intro = f"negate the check `{v['old']}` in `{v['func']}`{v['where']}"
        fix = f"the check `{v['new']}` in `{v['func']}`{v['where']} is inverted"
    return {"compare_intro": intro, "compare_fix": fix}


def _bool_words(v: dict[str, str]) -> dict[str, str]:
    to_or = v["new_op"] == "or"
    what = "guard" if v.get("guard") else "condition"
    if to_or:
        intro = f"relax the {what} `{v['old']}` in `{v['func']}`{v['where']} so that any one part suffices"
        fix = (
            f"the {what} `{v['new']}` in `{v['func']}`{v['where']} should require all of its parts"
        )
    else:
        intro = f"tighten the {what} `{v['old']}` in `{v['func']}`{v['where']} so that every part must hold"
        fix = f"the {what} `{v['new']}` in `{v['func']}`{v['where']} should accept any one of its parts"
    return {"bool_intro": intro, "bool_fix": fix}


def _range_words(v: dict[str, str]) -> dict[str, str]:
    loop = v.get("loop", "")
    subject = f"the loop over `{loop}`" if loop else f"`{v['old']}`"
    fix_subject = f"the loop over `{loop}`" if loop else f"`{v['new']}`"
    where, func = v["where"], v["func"]
    if v["bound"] == "upper" and v["delta"] == "1":
        intro = f"make the upper bound of {subject} in `{func}`{where} inclusive"
        fix = f"{fix_subject} in `{func}`{where} runs one step too far"
    elif v["bound"] == "upper":
        intro = f"stop {subject} in `{func}`{where} one step earlier"
        fix = f"{fix_subject} in `{func}`{where} stops one step too early"
    else:
        intro = f"start {subject} in `{func}`{where} one step later"
        fix = f"{fix_subject} in `{func}`{where} skips its first step"
    return {"range_intro": intro, "range_fix": fix}
