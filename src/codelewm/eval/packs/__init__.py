"""Pool packs: building execution-labelled rerank pool files (`codelewm eval downstream-pack`).

`mutants` labels reference solutions and their seeded mutants in the sandbox, `sources` reads the
tasks (HumanEval, MBPP, dataframebench), `external` validates and labels any pool file, and `build`
writes one pool file of a kind with its statistics.
"""

from codelewm.eval.packs.build import (
    DEVSET_FILE,
    PACK_KINDS,
    devset_pools,
    external_pools,
    label_tasks,
    pack_tasks,
    write_pack,
)
from codelewm.eval.packs.external import PoolTests, label_external
from codelewm.eval.packs.mutants import PackStats, Task, build_pools
from codelewm.eval.packs.sources import (
    dataframebench_tasks,
    dataframebench_train_tasks,
    humaneval_tasks,
    mbpp_entry_point,
    mbpp_stub,
    mbpp_tasks,
    task_text,
)

__all__ = [
    "DEVSET_FILE",
    "PACK_KINDS",
    "PackStats",
    "PoolTests",
    "Task",
    "build_pools",
    "dataframebench_tasks",
    "dataframebench_train_tasks",
    "devset_pools",
    "external_pools",
    "humaneval_tasks",
    "label_external",
    "label_tasks",
    "mbpp_entry_point",
    "mbpp_stub",
    "mbpp_tasks",
    "pack_tasks",
    "task_text",
    "write_pack",
]
