"""Briefs through `mixchat say` against a real local model server: time, outcome, prompt size.

Starts llama-cpp-python's server with SmolLM2-135M (the `.venv-llm` that `make test-llm` makes;
or MIXCHAT_TEST_LLM_BASE_URL for a server of your own, see tests/llm_server.py), makes a session
from a stems folder, automixes it offline as version 1, then sends every brief from version 1
with `say --json` and checks what the issue asks of a weak model:

* each brief comes back within the limit (60 s), with exit code 0 and no traceback;
* a version only when the model made a valid tool call (its calls are the ones stored) or when
  the offline planner carried out the model's rephrasing (labelled in the reply);
* otherwise no version, and one line of why;
* the prompt within its budget; the key nowhere in the output or the session.

It prints one row per brief and a summary; the exit code is 1 when a check failed. Besides the
wall time it counts the CPU seconds of `mixchat` and of the server: on a machine that other
work keeps busy, the wall time says how long a user waited there and `idle s` (mixchat's CPU
plus the server's spread over its threads) about how long the same brief takes on an idle one.

    .venv/bin/python bench/bench_llm_server.py [--stems DIR] [--repeat N] [--briefs FILE]
        [--server-pid PID]   (the server's process, with MIXCHAT_TEST_LLM_BASE_URL)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import llm_server  # noqa: E402

MIXCHAT = ROOT / ".venv" / "bin" / "mixchat"
SONG = ROOT.parent / "shared" / "data" / "songs" / "song_1"
SECRET = "sk-local-BENCH-SECRET-91c2"  # a local server ignores it; it must never be written
LIMIT_S = 60.0
MADE = ("tool_calls", "rephrased", "offline_fallback")
BRIEFS = (  # everyday briefs of every kind (written for this bench, not from a corpus)
    "bring the vocal up 3 dB",
    "turn the bass down a little",
    "make it darker",
    "the mix is too bright",
    "add some air to the vocal",
    "cut the mud on the guitar",
    "pan the guitar a bit to the left",
    "make the mix wider",
    "more reverb on the vocal",
    "less delay please",
    "more reverb on the vocal in the chorus",
    "the drums need more punch",
    "compress the bass more",
    "glue the mix together",
    "master it for spotify",
    "mute the keys",
    "the vocal is buried",
    "make it sound like a summer evening",
    "can you make it more exciting",
    "make the pad warmer and wider",
    "voclas too quiet lol",
    "how loud is the vocal?",
    "what is the kick doing?",
)


def run(*args: str, env: dict[str, str], timeout_s: float = 300.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MIXCHAT), *args], env=env, capture_output=True, text=True, timeout=timeout_s
    )


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MIXCHAT_"))}


def make_session(stems: Path, folder: Path) -> Path:
    env = {**base_env(), "MIXCHAT_PLANNER": "offline"}
    path = folder / "session"
    for args in (("new", str(stems), "-s", str(path)), ("automix", "-s", str(path))):
        done = run(*args, "--json", env=env)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:1])} failed: {done.stderr.strip()}")
    return path


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` (0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def versions(session: Path) -> list[int]:
    return sorted(int(p.stem) for p in (session / "versions").glob("*.json"))


def check(brief: str, done: subprocess.CompletedProcess, took: float, session: Path,
          before: list[int]) -> tuple[dict, list[str]]:  # fmt: skip
    problems: list[str] = []
    if "Traceback" in done.stderr:
        problems.append("traceback")
    if SECRET in done.stdout + done.stderr:
        problems.append("the key was printed")
    if took >= LIMIT_S:
        problems.append(f"took {took:.1f} s")
    if done.returncode != 0:
        problems.append(f"exit {done.returncode}: {done.stderr.strip()[:120]}")
        return {}, problems
    result = json.loads(done.stdout)
    llm = result.get("llm") or {}
    outcome = llm.get("outcome", result.get("planner"))
    after = versions(session)
    made = [v for v in after if v not in before]
    if outcome in MADE:
        stored = json.loads((session / "versions" / f"{result['version']:04d}.json").read_text())
        calls = [{"tool": c["tool"], "args": c["args"]} for c in stored["tool_calls"]]
        if made != [result["version"]] or calls != result["tool_calls"] or not calls:
            problems.append("the version is not the calls reported")
        if outcome == "tool_calls" and not {c["tool"] for c in calls} <= set(
            llm.get("tools_offered", [])
        ):
            problems.append("a call to a tool that was not offered")
        if outcome == "rephrased" and (llm.get("rephrasing") or "?") not in result["reply"]:
            problems.append("the rephrasing is not labelled in the reply")
    elif made or result.get("version") is not None:
        problems.append(f"a version ({made}) the model did not ask for")
    elif outcome == "no_change" and (not llm.get("why") or "\n" in result["reply"].strip()):
        problems.append("no change without one line of why")
    if llm and llm.get("prompt_tokens_estimate", 0) > llm.get("prompt_budget_tokens", 0):
        problems.append("prompt over budget")
    return result, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stems", type=Path, default=SONG)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--briefs", type=Path, help="a file with one brief a line")
    parser.add_argument("--keep", type=Path, help="keep the session here")
    parser.add_argument("--server-pid", type=int, help="the external server's process id")
    options = parser.parse_args()
    briefs = (
        [line.strip() for line in options.briefs.read_text().splitlines() if line.strip()]
        if options.briefs
        else list(BRIEFS)
    )
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-llm-"))
    folder.mkdir(parents=True, exist_ok=True)
    session = make_session(options.stems, folder)
    started = time.monotonic()
    server = llm_server.start(folder / "server.log")
    print(f"server up in {time.monotonic() - started:.1f} s at {server.base_url}")
    env = {
        **base_env(),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": SECRET,
        "MIXCHAT_MODEL": server.model,
    }
    server_pid = server.process.pid if server.process is not None else options.server_pid
    threads = min(2, os.cpu_count() or 1)
    rows, failures, times, idle_times = [], 0, [], []
    print(
        "| brief | outcome | wall s | idle s | prompt tokens | counted by | requests | calls "
        "| checks | why / rephrasing |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    try:
        for _ in range(options.repeat):
            for brief in briefs:
                before = versions(session)
                began = time.monotonic()
                client, served = children_cpu_seconds(), cpu_seconds(server_pid)
                done = run("say", "-s", str(session), "--from", "1", brief, "--json", env=env)
                took = time.monotonic() - began
                idle = (children_cpu_seconds() - client) + (
                    cpu_seconds(server_pid) - served
                ) / threads
                times.append(took)
                idle_times.append(idle)
                result, problems = check(brief, done, took, session, before)
                failures += bool(problems)
                llm = result.get("llm") or {}
                rows.append(
                    (
                        brief, llm.get("outcome", result.get("planner", "-")), took, idle,
                        result.get("prompt_tokens"), llm.get("prompt_tokens_counted_by", ""),
                        llm.get("requests", 0), ",".join(c["tool"] for c in result.get("tool_calls", [])),
                        "; ".join(problems) or "ok",
                        (llm.get("why") or llm.get("rephrasing") or "")[:70],
                    )
                )  # fmt: skip
                print(
                    "| "
                    + " | ".join(f"{c:.1f}" if isinstance(c, float) else str(c) for c in rows[-1])
                    + " |",
                    flush=True,
                )
    finally:
        server.stop()
    leaked = [p for p in session.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[str(row[1])] = outcomes.get(str(row[1]), 0) + 1
    prompts = [r[4] for r in rows if isinstance(r[4], int)]
    print(
        f"\n{len(rows)} briefs on {options.stems.name}: outcomes {outcomes}; seconds max "
        f"{max(times):.1f}, median {sorted(times)[len(times) // 2]:.1f} (idle estimate max "
        f"{max(idle_times):.1f}, median {sorted(idle_times)[len(idle_times) // 2]:.1f}); "
        f"prompt tokens max "
        f"{max(prompts, default=0)}; failed checks {failures}; key in session files: {len(leaked)}"
    )
    return 1 if failures or leaked else 0


if __name__ == "__main__":
    raise SystemExit(main())
