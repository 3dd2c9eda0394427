"""Build the development datasets of docs/benchmarks/TRAINING.md from the standard library.

    python tests/train/devdata_build.py OUT      -> OUT/dev_mut (train/val) and OUT/dev_test (test)

Real stdlib functions + `code.mutations` (introduce instructions); train/val and test come from
disjoint module lists; test befores whose normalised hash occurs in train are dropped.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from _train_dataset import build_dataset

from codelewm.code.functions import normalised_hash
from codelewm.data.layout import read_transitions
from codelewm.records import PoolMember, SameBeforePool

TRAIN_MODULES = [
    "abc",
    "argparse",
    "ast",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "calendar",
    "cmd",
    "code",
    "codecs",
    "collections",
    "colorsys",
    "compileall",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "dis",
    "doctest",
    "email.utils",
    "email.message",
    "email.header",
    "email.feedparser",
    "email._header_value_parser",
    "enum",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "getopt",
    "gettext",
    "glob",
    "gzip",
    "heapq",
    "hmac",
    "html",
    "html.parser",
    "http.client",
    "http.cookies",
    "http.cookiejar",
    "http.server",
    "imaplib",
    "inspect",
    "ipaddress",
    "json.decoder",
    "json.encoder",
    "linecache",
    "locale",
    "logging",
    "logging.handlers",
    "lzma",
    "mailbox",
    "mimetypes",
    "netrc",
    "ntpath",
    "nntplib",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pydoc",
    "queue",
    "quopri",
    "random",
    "re._parser",
    "re._compiler",
    "reprlib",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "tabnanny",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "timeit",
    "token",
    "tokenize",
    "trace",
    "traceback",
    "tracemalloc",
    "turtle",
    "types",
    "typing",
    "urllib.parse",
    "urllib.request",
    "uu",
    "uuid",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "xdrlib",
    "xml.dom.minidom",
    "xml.dom.pulldom",
    "xml.etree.ElementTree",
    "xml.sax.saxutils",
    "xmlrpc.client",
    "zipapp",
    "zipfile",
    "unittest.case",
    "unittest.mock",
    "unittest.loader",
    "asyncio.base_events",
    "asyncio.streams",
    "asyncio.tasks",
    "concurrent.futures._base",
    "importlib._bootstrap_external",
    "sqlite3.dump",
    "graphlib",
    "tomllib._parser",
    "wsgiref.util",
    "wsgiref.headers",
]

TEST_MODULES = [
    "asyncio.base_subprocess",
    "asyncio.events",
    "asyncio.futures",
    "asyncio.locks",
    "asyncio.queues",
    "asyncio.selector_events",
    "asyncio.sslproto",
    "asyncio.unix_events",
    "multiprocessing.connection",
    "multiprocessing.managers",
    "multiprocessing.pool",
    "multiprocessing.process",
    "multiprocessing.queues",
    "multiprocessing.util",
    "concurrent.futures.thread",
    "concurrent.futures.process",
    "urllib.robotparser",
    "urllib.error",
    "email._policybase",
    "email.contentmanager",
    "email.generator",
    "email.iterators",
    "email.quoprimime",
    "email.base64mime",
    "email.charset",
    "email.encoders",
    "email.parser",
    "xml.sax.expatreader",
    "xml.sax.handler",
    "xml.sax.xmlreader",
    "xml.dom.expatbuilder",
    "xml.dom.minicompat",
    "xml.etree.ElementPath",
    "importlib.metadata",
    "importlib.resources._common",
    "importlib.util",
    "sqlite3",
    "ctypes",
    "ctypes.util",
    "dbm",
    "curses.textpad",
    "json.scanner",
    "json.tool",
    "logging.config",
    "http.cookiejar_x",
    "site",
    "sysconfig",
    "zipimport",
    "codeop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "imghdr",
    "mailcap",
    "modulefinder",
    "nturl2path",
    "pipes",
    "pty",
    "pyclbr",
    "py_compile",
    "sre_parse",
    "stat",
    "symtable",
    "telnetlib",
    "tty",
    "uu",
    "zoneinfo._zoneinfo",
    "zoneinfo._common",
    "zoneinfo._tzpath",
]


def _modules(names: list[str]) -> list[object]:
    mods = []
    for name in names:
        try:
            mods.append(importlib.import_module(name))
        except Exception:  # not on this interpreter
            continue
    return mods


def write_pools(root: Path, split: str) -> int:
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for rec in read_transitions(root, split):  # type: ignore[arg-type]
        groups[(rec.group, rec.symbol, rec.before)].append(rec)
    lines = []
    for (group, symbol, before), recs in groups.items():
        if len({r.after for r in recs}) < 3:
            continue
        pool = SameBeforePool(
            pool_id=normalised_hash(group + symbol + before)[:16], source="mutations", group=group,
            split=split, path=recs[0].path, symbol=symbol, before=before,  # type: ignore[arg-type]
            members=[PoolMember(transition_id=r.transition_id, instruction=r.instruction,
                                instruction_kind=r.instruction_kind, after=r.after) for r in recs],
        )  # fmt: skip
        lines.append(pool.model_dump_json() + "\n")
    (root / "pools").mkdir(exist_ok=True)
    (root / "pools" / f"{split}.jsonl").write_text("".join(lines))
    return len(lines)


def main(out: Path) -> None:
    warnings.simplefilter("ignore")
    dev, test = out / "dev_mut", out / "dev_test"
    build_dataset(dev, _modules(TRAIN_MODULES), seed=0, mutants=6, val_share=0.15)  # type: ignore[arg-type]
    build_dataset(test, _modules(TEST_MODULES), seed=1, mutants=6, val_share=1.0)  # type: ignore[arg-type]
    train = {normalised_hash(r.before) for r in read_transitions(dev, "train")}
    held = [
        json.loads(line) for line in (test / "transitions" / "val.jsonl").read_text().splitlines()
    ]
    kept = [{**r, "split": "test"} for r in held if normalised_hash(r["before"]) not in train]
    (test / "transitions" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    (test / "transitions" / "val.jsonl").write_text("")
    print({"train_pools": write_pools(dev, "train"), "val_pools": write_pools(dev, "val"),
           "test_pools": write_pools(test, "test")})  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]))
