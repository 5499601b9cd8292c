#!/usr/bin/env python3
"""usage: bench/load.py [--clients 16] [--duration 60] [--single-duration 15] [--max-tokens 128]
                     [--temperature 0.7] [--json FILE] [--base-url URL | --start-server ...]

Load benchmark of `lorekeeper serve`: streaming chat clients on loopback, each looping requests over
varied short prompts, in two timed phases: one client for --single-duration seconds, then --clients
clients for --duration seconds. A request running when its phase's time is up finishes (each has at
most --max-tokens tokens and --request-timeout seconds), then the phase ends; no phase starts more
than --max-requests requests. Prints a human summary on stderr and the JSON report on stdout
(also to --json FILE). Exits 1 if any request failed.

Per phase: requests completed, errors, generated tokens (the usage the server reports), aggregate
generated tokens/s, time to first token (first non-empty content delta) p50/p99, and each request's
decode speed (tokens after the first / time after the first). The aggregate rate counts the tokens
that arrived while all clients were busy, i.e. before the phase's time was up, so that the drain at
the end does not dilute it; the concurrent/single ratio of those rates is the batching speed-up.
"""
import argparse
import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field

from lorekeeper_server import add_server_arguments, exit_cleanly_on_sigterm, server_from_args

try:
    from openai import AsyncOpenAI
except ImportError:
    sys.exit("load: the `openai` package is missing: python3 -m pip install openai")

TASKS = ["Write a short poem about {}.", "Explain {} to a ten-year-old.", "List three facts about {}.",
         "Describe {} in one paragraph.", "Tell a very short story about {}.", "What is the history of {}?",
         "Give me two tips related to {}.", "Why do people like {}?"]
TOPICS = ["the ocean", "lighthouses", "bread baking", "the moon", "chess", "volcanoes", "bicycles", "honey bees",
          "rainforests", "jazz music", "the printing press", "winter", "trains", "origami", "coffee", "comets",
          "libraries", "deserts", "whales", "gardening"]


def prompt_for(client_index, request_index):
    task = TASKS[(client_index + request_index) % len(TASKS)]
    return task.format(TOPICS[(client_index * 7 + request_index * 3) % len(TOPICS)])


@dataclass
class RequestResult:
    start: float
    end: float = 0.0
    first_token: float | None = None
    chunk_times: list = field(default_factory=list)  # arrival of each non-empty content delta
    tokens: int | None = None  # usage.completion_tokens
    finish_reason: str | None = None
    error: str | None = None


async def stream_one(client, model, prompt, max_tokens, temperature, result):
    # The SDK makes the request, but the server-sent events are parsed here with json: the typed
    # chunk objects cost about three times the client CPU, which the server's cores would pay for.
    async with client.chat.completions.with_streaming_response.create(
            model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens,
            temperature=temperature, stream=True, stream_options={"include_usage": True}) as response:
        async for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:"):].strip()
            if data == "[DONE]":
                break
            now = time.perf_counter()
            event = json.loads(data)
            if "error" in event:
                raise RuntimeError(f"error event in the stream: {event['error']}")
            if event.get("usage"):
                result.tokens = event["usage"]["completion_tokens"]
            for choice in event["choices"]:
                if choice["delta"].get("content"):
                    result.chunk_times.append(now)
                    if result.first_token is None:
                        result.first_token = now
                if choice.get("finish_reason"):
                    result.finish_reason = choice["finish_reason"]
    if result.finish_reason is None:
        raise RuntimeError("the stream ended without a finish_reason")
    if result.tokens is None:
        raise RuntimeError("the stream has no usage chunk although include_usage was set")


async def client_loop(index, client, model, args, deadline, budget, results):
    i = 0
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        result = RequestResult(start=time.perf_counter())
        try:
            await asyncio.wait_for(stream_one(client, model, prompt_for(index, i), args.max_tokens, args.temperature, result),
                                   timeout=args.request_timeout)
        except asyncio.TimeoutError:
            result.error = f"no complete answer within --request-timeout {args.request_timeout} s"
        except Exception as e:  # every failure is counted and reported, none stops the benchmark
            result.error = f"{type(e).__name__}: {e}"
        result.end = time.perf_counter()
        results.append(result)
        i += 1


def percentile(values, q):
    """Linear interpolation between the closest ranks (q in 0...100); None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def rounded(x, digits=3):
    return None if x is None else round(x, digits)


async def run_phase(client, model, args, clients, duration):
    results = []
    budget = [args.max_requests]
    start = time.perf_counter()
    deadline = start + duration
    # No request starts after the deadline and each lasts --request-timeout at most.
    await asyncio.gather(*(client_loop(i, client, model, args, deadline, budget, results)
                           for i in range(clients)))
    end = time.perf_counter()

    ok = [r for r in results if r.error is None]
    errors = [r for r in results if r.error is not None]
    tokens = sum(r.tokens for r in ok)
    chunks = sum(len(r.chunk_times) for r in ok)
    # Content deltas per token: 1 unless the server merges tokens into one delta or sends some
    # tokens without text; the usage counts convert deltas seen in the window back to tokens.
    tokens_per_chunk = tokens / chunks if chunks else 1.0
    in_window = sum(1 for r in ok for t in r.chunk_times if t <= deadline)
    window = min(duration, end - start)
    ttft = [r.first_token - r.start for r in results if r.first_token is not None]
    decode = [(r.tokens - 1) / (r.end - r.first_token) for r in ok
              if r.first_token is not None and r.tokens >= 2 and r.end > r.first_token]
    finish = {}
    for r in ok:
        finish[r.finish_reason] = finish.get(r.finish_reason, 0) + 1
    return {
        "clients": clients,
        "duration_s": duration,
        "wall_s": rounded(end - start),
        "requests_completed": len(ok),
        "errors": len(errors),
        "error_samples": sorted({r.error for r in errors})[:5],
        "finish_reasons": finish,
        "generated_tokens": tokens,
        "tokens_per_s": rounded(in_window * tokens_per_chunk / window if window > 0 else 0.0, 2),
        "tokens_per_s_including_drain": rounded(tokens / (end - start), 2),
        "tokens_per_content_delta": rounded(tokens_per_chunk),
        "ttft_ms": {"p50": rounded(ms(percentile(ttft, 50)), 1), "p90": rounded(ms(percentile(ttft, 90)), 1),
                    "p99": rounded(ms(percentile(ttft, 99)), 1), "max": rounded(ms(max(ttft, default=None)), 1)},
        "decode_tokens_per_s_per_request": {"p50": rounded(percentile(decode, 50), 2), "p10": rounded(percentile(decode, 10), 2),
                                            "min": rounded(min(decode, default=None), 2)},
    }


def ms(seconds):
    return None if seconds is None else seconds * 1000


def summary_lines(name, p):
    t, d = p["ttft_ms"], p["decode_tokens_per_s_per_request"]
    return [f"{name}: {p['clients']} client(s), {p['duration_s']} s (+ drain: {p['wall_s']} s in all)",
            f"  requests completed {p['requests_completed']}, errors {p['errors']}, finish reasons {p['finish_reasons']}",
            f"  generated tokens {p['generated_tokens']}, aggregate {p['tokens_per_s']} tokens/s "
            f"({p['tokens_per_s_including_drain']} including the drain)",
            f"  time to first token p50 {t['p50']} ms, p90 {t['p90']} ms, p99 {t['p99']} ms, max {t['max']} ms",
            f"  decode per request p50 {d['p50']} tokens/s, p10 {d['p10']}, min {d['min']}"]


async def benchmark(api_url, api_key, args):
    async with AsyncOpenAI(base_url=api_url, api_key=api_key or "none", max_retries=0,
                           timeout=args.request_timeout) as client:
        model = args.model or (await client.models.list()).data[0].id
        # One untimed request first, so that no phase pays for first-use costs.
        try:
            await stream_one(client, model, "Say hello.", 4, 0, RequestResult(start=time.perf_counter()))
        except Exception as e:
            raise SystemExit(f"load: the warm-up request to {api_url} failed: {type(e).__name__}: {e}") from None
        report = {"base_url": api_url, "model": model, "max_tokens": args.max_tokens, "temperature": args.temperature}
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        if args.single_duration > 0:
            print(f"single-client phase: {args.single_duration} s", file=sys.stderr, flush=True)
            report["single"] = await run_phase(client, model, args, 1, args.single_duration)
        print(f"concurrent phase: {args.clients} clients, {args.duration} s", file=sys.stderr, flush=True)
        report["concurrent"] = await run_phase(client, model, args, args.clients, args.duration)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    single = report.get("single", {}).get("tokens_per_s")
    report["throughput_ratio"] = rounded(report["concurrent"]["tokens_per_s"] / single, 2) if single else None
    # The benchmark shares the machine with the server; this is what the client side took.
    report["client_cpu_s"] = rounded(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default %(default)s)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the concurrent phase (default %(default)s)")
    parser.add_argument("--single-duration", type=float, default=15,
                        help="seconds of the single-client phase, 0 to skip it (default %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=128, help="max_tokens of each request (default %(default)s)")
    parser.add_argument("--temperature", type=float, default=0.7, help="(default %(default)s)")
    parser.add_argument("--model", help="model id (default: the first of /v1/models)")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds per request (default %(default)s)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="requests per phase at most (default %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON report to FILE")
    add_server_arguments(parser)
    args = parser.parse_args()
    if args.clients < 1 or args.duration <= 0 or args.single_duration < 0 or args.max_tokens < 1 or args.max_requests < 1:
        parser.error("--clients, --duration, --max-tokens and --max-requests must be positive, --single-duration >= 0")
    exit_cleanly_on_sigterm()

    with server_from_args(args) as (api_url, api_key):
        report = asyncio.run(benchmark(api_url, api_key, args))

    lines = []
    if "single" in report:
        lines += summary_lines("single client", report["single"])
    lines += summary_lines("concurrent", report["concurrent"])
    if report["throughput_ratio"] is not None:
        lines.append(f"aggregate throughput ratio, {args.clients} clients / 1 client: {report['throughput_ratio']}x")
    lines.append(f"client CPU time: {report['client_cpu_s']} s")
    print("\n".join(lines), file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    errors = sum(report[p]["errors"] for p in ("single", "concurrent") if p in report)
    completed = [report[p]["requests_completed"] for p in ("single", "concurrent") if p in report]
    if errors or not all(completed):
        print(f"load: FAILED: {errors} request(s) failed" if errors else "load: FAILED: a phase completed no request",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
