"""9. Hostile documents (issue 14): what each costs a real ``esign serve`` under the per-document
budget (:mod:`esign.budget`), beside the file's size, and what the same file cost before.

Each file of :mod:`tests.hostile` (built by code, at the sizes of the issue) is sent to
``POST /api/v1/verify`` and to the clerk's ``POST /api/v1/stamp-requests`` (keyword placement, the
default; an accepted request is approved too). The server's figures come from /proc: peak RSS
growth during the request (VmHWM reset before it) over the RSS before it, the RSS it kept after,
and the CPU seconds it spent. Normal documents (200 pages, the ~10 MB scan) run through the same
routes. "Before" is a child process doing what the code did without the budget (pyHanko's own
limits: the DSS read whole; PDFium's text search on the raw file), capped at 4 GiB and 20 s of CPU.

Targets (figures, never assertions): one request grows the server by ≤ 256 MB and gives it back;
two hostile requests at once stay ≤ 512 MB; a refused document is refused within 5 s of CPU.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import httpx

from bench.context import REPO, Context
from bench.county import SCAN_PLACEMENT
from bench.report import Section
from bench.stats import fmt_bytes
from esign.budget import MAX_IMPRESSIONS
from service.live import live_server
from tests import hostile
from tests.hostile import MiB, cpu_seconds, peak, reset_peak, rss

__all__ = ["run"]

SINGLE, PAIR, CPU = 256 * MiB, 512 * MiB, 5.0
CLERK, APPROVER = "克城镇窗口", "克城镇批准人"
_POSITION = json.dumps({"mode": "position", "page": 1, "x_mm": 100, "y_mm": 100})


def _before(kind: str, data: bytes) -> dict[str, Any]:
    """Peak RSS and CPU of a capped child doing the unbudgeted work on ``data``."""
    code = {
        "dss": "from pyhanko.pdf_utils.reader import PdfFileReader\nimport io,sys\n"
        "r = PdfFileReader(io.BytesIO(sys.stdin.buffer.read()), strict=False)\n"
        "keep = [x.get_object().data for x in r.root['/DSS']['/CRLs']]\n",
        "text": "import pypdfium2 as p, sys\nd = p.PdfDocument(sys.stdin.buffer.read())\n"
        "[d[i].get_textpage().get_text_range() for i in range(len(d))]\n",
    }[kind]

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))

    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=limits,
        cwd=REPO,  # the parent is single-threaded here: preexec_fn is safe
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    ended = "done" if proc.returncode == 0 else "killed at 20 s CPU" if cpu >= 19.5 else "out of memory (4 GiB cap)"
    return {"peak": usage.ru_maxrss * 1024, "cpu": cpu, "ended": ended}


def run(ctx: Context) -> Section:
    county, docs = ctx.county, ctx.docs
    stamped = county.output(county.stamp(docs.decision, level="B-LT"))
    full = not ctx.quick
    files: dict[str, tuple[bytes, str | None]] = {
        "DSS: 80 CRL streams × 250 MB": (hostile.dss_crl_bomb(stamped, streams=80 if full else 8), _POSITION),
        "content: double Flate, 1.5 GB of spaces": (hostile.content_bomb(1536 * MiB if full else 256 * MiB), None),
        "font: TrueType program, 1 GB": (hostile.font_bomb(1024 * MiB if full else 128 * MiB), None),
        "image: 40000² inline + XObject": (hostile.image_bomb(xobject_inflated=1024 * MiB if full else 64 * MiB), None),
        "10 000 pages, seal on every page": (hostile.many_pages(10_000), _repeat(10_000)),
        f"{MAX_IMPRESSIONS + 100} pages, riding seal": (hostile.riding_over(MAX_IMPRESSIONS + 100), _riding()),
        "object stream nested 100 000 deep": (hostile.deep_object_stream(), None),
        "object stream, 1 GB double Flate": (hostile.object_stream_bomb(1024 * MiB if full else 128 * MiB), None),
        "xref stream of 50 M zero-width rows": (hostile.huge_xref_stream(), None),
        "classic xref table, 1 M entries": (hostile.classic_xref_bomb(1_000_000 if full else 300_000), None),
        "normal: 200 pages": (docs.pages[200], None),
        "normal: scan": (docs.scan, json.dumps(SCAN_PLACEMENT)),
    }
    before: dict[str, dict[str, Any]] = {}
    if full:
        ctx.progress("hostile: the unbudgeted work on the DSS and content bombs, in capped child processes")
        first, second = list(files)[:2]
        before[first] = _before("dss", files[first][0])
        before[second] = _before("text", files[second][0])

    section = Section(
        "9. Hostile documents against a live server (/proc figures)",
        [
            "document",
            "file",
            "route",
            "answer",
            "peak RSS growth",
            "RSS kept",
            "CPU",
            "before: peak RSS",
            "before: CPU",
        ],
    )
    worst = {"grown": 0, "cpu": 0.0}
    env = {**county.env(), "ESIGN_PUBLIC_RATE_PER_MINUTE": "100000"}
    with (
        live_server(port=ctx.port, env=env, log=ctx.tmp / "hostile-serve.log") as server,
        httpx.Client(base_url=server.base, timeout=600) as client,
    ):
        pid = server.process.pid
        clerk = {"Authorization": f"Bearer {county.tokens[CLERK]}"}
        approver = {"Authorization": f"Bearer {county.tokens[APPROVER]}"}

        def measured(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, int, int, float]:
            start, cpu0 = rss(pid), cpu_seconds(pid)
            reset_peak(pid)
            r = call()
            return r, peak(pid) - start, rss(pid) - start, cpu_seconds(pid) - cpu0

        def stamp(data: bytes, placement: str | None) -> httpx.Response:
            form = {"seal": "克城镇", "item": "3", "reason": "基准测试", "title": "基准测试文书"}
            if placement:
                form["placement"] = placement
            r = client.post("/api/v1/stamp-requests", data=form, files={"file": ("d.pdf", data)}, headers=clerk)
            if r.status_code != 201:
                return r
            return client.post(f"/api/v1/stamp-requests/{r.json()['id']}/approve", headers=approver)

        for label, (data, placement) in files.items():
            ctx.progress(f"hostile: {label}")
            normal = label.startswith("normal")
            outputs: list[bytes] = []

            def stamp_route(
                data: bytes = data, placement: str | None = placement, outputs: list[bytes] = outputs
            ) -> httpx.Response:
                r = stamp(data, placement)
                if r.status_code == 200 and r.json().get("result_url"):
                    outputs.append(client.get(r.json()["result_url"], headers=clerk).content)
                return r

            def verify_route(data: bytes = data, outputs: list[bytes] = outputs) -> httpx.Response:
                # a normal document is verified as stamped (its signature checked), a hostile one as it is
                return client.post("/api/v1/verify", files={"file": ("x.pdf", outputs[-1] if outputs else data)})

            for route, call in (("stamp", stamp_route), ("verify", verify_route)):
                r, grown, kept, cpu = measured(call)
                answer = _answer(r)
                if not normal:
                    worst["grown"] = max(worst["grown"], grown)
                    if "too_complex" in answer:
                        worst["cpu"] = max(worst["cpu"], cpu)
                b = before.get(label) if route == ("verify" if label.startswith("DSS") else "stamp") else None
                section.add(
                    label,
                    fmt_bytes(len(data)),
                    route,
                    answer,
                    fmt_bytes(max(grown, 0)),
                    fmt_bytes(max(kept, 0)),
                    f"{cpu:.2f} s",
                    f"{fmt_bytes(b['peak'])} ({b['ended']})" if b else "",
                    f"{b['cpu']:.1f} s ({b['cpu'] / max(cpu, 0.01):.0f}× ours)" if b else "",
                )

        ctx.progress("hostile: two at once (DSS bomb to verify, content bomb to stamp)")
        dss, content = files["DSS: 80 CRL streams × 250 MB"][0], files["content: double Flate, 1.5 GB of spaces"][0]
        answers: list[str] = []

        def pair() -> httpx.Response:
            threads = [
                threading.Thread(
                    target=lambda: answers.append(
                        _answer(client.post("/api/v1/verify", files={"file": ("x.pdf", dss)}))
                    )
                ),
                threading.Thread(target=lambda: answers.append(_answer(stamp(content, None)))),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return httpx.Response(200)

        _r, pair_grown, pair_kept, pair_cpu = measured(pair)
        section.add(
            "two at once: DSS + content",
            fmt_bytes(len(dss) + len(content)),
            "verify + stamp",
            " / ".join(answers),
            fmt_bytes(max(pair_grown, 0)),
            fmt_bytes(max(pair_kept, 0)),
            f"{pair_cpu:.2f} s",
            "",
            "",
        )

    section.verdicts += [
        _verdict(
            worst["grown"] <= SINGLE,
            f"one hostile request grows the server by ≤ 256 MB: at most {fmt_bytes(worst['grown'])}",
        ),
        _verdict(pair_grown <= PAIR, f"two hostile requests at once stay ≤ 512 MB: {fmt_bytes(pair_grown)}"),
        _verdict(worst["cpu"] <= CPU, f"a refused document is refused within 5 s of CPU: at most {worst['cpu']:.2f} s"),
    ]
    section.notes += [
        "answer: HTTP status and error code (verify answers 200 with a report when the document is merely unsigned "
        "or broken; verification never decodes page content, so content, font and image bombs cost it nothing).",
        "stamp: the clerk's submission with keyword placement unless the row needs another (position for the DSS "
        "bomb and the scan, riding or repeated seals); a request accepted at submission is approved (signed); "
        "the normal documents are then verified as stamped.",
        "RSS kept: resident size after the request minus before it; what a first large request leaves is "
        "allocator space the next one reuses (tests/service/test_budget_live.py: two in a row leave ≤ 128 MB).",
        "before: a child process doing the same work without the budget (pyHanko's default limits for the DSS; "
        "PDFium's text extraction for the content bomb), capped at 4 GiB of address space and 20 s of CPU.",
    ]
    if not full:
        section.notes.append("quick run: smaller bombs (still far past the budget), no 'before' figures.")
    return section


def _repeat(n: int) -> str:
    return json.dumps({"mode": "position", "page": 1, "x_mm": 100, "y_mm": 100, "also_on_pages": list(range(2, n + 1))})


def _riding() -> str:
    return json.dumps({"mode": "position", "page": 1, "x_mm": 100, "y_mm": 100, "riding_seal": True})


def _answer(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return str(r.status_code)
    if r.status_code == 200:
        return f"200 {body.get('indication', 'stamped' if 'entry_id' in body else 'ok')}"
    return f"{r.status_code} {body.get('error', {}).get('code', '?')}"


def _verdict(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'MISS'} target: {text}"
