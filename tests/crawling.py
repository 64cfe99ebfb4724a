"""Run real crawls the way users do: ``scrapy crawl portal`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Our own fixture server on loopback: no politeness delay needed in tests, and its private
# address allowed (newsspider.netguard refuses loopback by default). Arguments given after these
# override them.
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    "-s", "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES=True",
]  # fmt: skip


def run_crawl(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl portal ARGS`` in ``cwd`` and return the finished process."""
    env = os.environ | {
        "SCRAPY_SETTINGS_MODULE": "newsspider.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", *FAST, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def derived_site(workdir: Path, variant_dir: Path, changes: dict[str, dict[str, Any]]) -> Path:
    """Return a copy of a fixture site with some responses changed, the fixture left untouched.

    ``changes`` maps a request target to the manifest fields to change; a ``body`` (bytes) is
    written to a new file. The original files are reached through a symlink, not copied.
    """
    site = workdir / f"site-{len(list(workdir.glob('site-*')))}"
    site.mkdir()
    (site / "files").symlink_to(variant_dir / "files")
    (site / "variant.json").write_bytes((variant_dir / "variant.json").read_bytes())
    manifest = json.loads((variant_dir / "manifest.json").read_text(encoding="utf-8"))
    for number, (target, change) in enumerate(changes.items()):
        entry = dict(manifest.get(target, {"status": 200, "content_type": "text/html; charset=utf-8"}))
        body = change.pop("body", None)
        if body is not None:
            (site / f"changed-{number}").write_bytes(body)
            entry["file"] = f"changed-{number}"
        manifest[target] = entry | change
    (site / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return site
