"""Write the shipped default model's claims file from its P4 evaluation reports (run by eval-model).

    python scripts/model_claims.py --reports out/model-eval/reports

Every `p4_*/report.json` under REPORTS becomes one claim; the file is keyed by the checkpoint id of the
reports, and `codelewm.scoring.trust` turns it into the trust statement every rerank shows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.scoring.load import default_model_path
from codelewm.scoring.trust import CLAIMS_PATH, claims_from_reports, trust_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("out/model-eval/reports"))
    parser.add_argument("--out", type=Path, default=CLAIMS_PATH)
    args = parser.parse_args()
    manifest = json.loads((default_model_path() / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(args.reports.glob("p4_*/report.json"))
    claims = claims_from_reports(
        files,
        checkpoint_id=manifest["artifact_id"],
        generated_by="./scripts/eval-model (scripts/model_claims.py) from "
        + ", ".join(str(f.parent.name) for f in files),
    )
    atomic_write_text(args.out, claims.model_dump_json(indent=2) + "\n")
    print(f"wrote {args.out}: {trust_of(claims).statement}")


if __name__ == "__main__":
    main()
