#!/usr/bin/env python3
"""usage: bench/prefix_reuse.py [--conversations 3] [--system-tokens 1000] [--max-tokens 16] [--min-ratio 5]
                             [--json FILE] [--base-url URL | --start-server ...]

Measures the KV-cache prefix reuse of `lorekeeper serve` as a chat client sees it. Each conversation
has a long system prompt (deterministic text of about --system-tokens tokens) and two turns, both
streamed at temperature 0:
  turn 1: system + question 1                                  (cold: the whole prompt is computed)
  turn 2: system + question 1 + the turn-1 answer + question 2 (the turn-1 prompt is a prefix of it)
The time to first token (first delta with content) of each turn is recorded. Prints both TTFTs per
conversation and the ratio of their medians over all conversations, the human summary on stderr and
a JSON report on stdout (also to --json FILE). Exits 1 if that ratio is below --min-ratio, or if the
server reports (usage.prompt_tokens_details.cached_tokens) that a turn 1 was not cold.

Each conversation's system prompt starts with its own session line (a random run nonce, see --nonce,
and the conversation number), so that turn 1 never finds an earlier conversation or run in the cache.
One untimed request comes first, so that turn 1 of the first conversation pays no first-use costs.
"""
import argparse
import json
import random
import secrets
import statistics
import sys
import time

from lorekeeper_server import add_server_arguments, exit_cleanly_on_sigterm, server_from_args

try:
    from openai import OpenAI
except ImportError:
    sys.exit("prefix_reuse: the `openai` package is missing: python3 -m pip install openai")

SUBJECTS = ["Every visitor", "A junior archivist", "The night keeper", "Each scholar", "A travelling bard",
            "The head librarian", "Any apprentice", "The cartographer", "A visiting monk", "The bookbinder"]
VERBS = ["must record", "may borrow", "should return", "will catalogue", "can copy", "must never burn", "may annotate",
         "should inspect", "will restore", "must report"]
OBJECTS = ["the maps of the northern coast", "every scroll about tides", "the ledgers of the old kings", "rare herbals",
           "the star charts", "letters from the river towns", "the songbooks of the valley", "the treaties of the guilds",
           "damaged atlases", "the chronicles of the lighthouse"]
WHEN = ["before the evening bell", "within three days", "during the winter festival", "after the morning inspection",
        "only in the reading hall", "under the keeper's eye", "when the moon is full", "on the first day of each month"]
# Measured with SmolLM2's tokenizer (`lorekeeper tokenize`): 45 rules make 990 tokens. The real count
# is reported from the server's usage.
TOKENS_PER_RULE = 22
HEADER_TOKENS = 20

QUESTION_1 = "Which rule mentions the star charts?"
QUESTION_2 = "And who may borrow rare herbals?"


def system_prompt(session, target_tokens):
    """About target_tokens tokens of house rules; the same text for every session but its first line."""
    rng = random.Random(20240611)
    lines = [f"Session {session}.",
             "You are the Lorekeeper, the archivist of a great library. Answer briefly and follow the house rules below."]
    for i in range(1, max(1, round((target_tokens - HEADER_TOKENS) / TOKENS_PER_RULE)) + 1):
        lines.append(f"Rule {i}: {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)}.")
    return "\n".join(lines)


def timed_turn(client, model, messages, max_tokens):
    """Streams one chat completion; returns (seconds to the first content, answer text, usage)."""
    start = time.perf_counter()
    first, text, usage, finish = None, "", None, None
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            # The role-only first chunk may come before any computation; an answer that is only an
            # end-of-sequence token has no content, and then its finish_reason marks the first token.
            if first is None and (choice.delta.content or choice.finish_reason):
                first = time.perf_counter()
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    if first is None or finish is None:
        raise RuntimeError("the stream ended without content or finish_reason")
    if usage is None:
        raise RuntimeError("the stream has no usage chunk although include_usage was set")
    return first - start, text, usage


def cached_tokens(usage):
    details = getattr(usage, "prompt_tokens_details", None)
    return getattr(details, "cached_tokens", None) if details is not None else None


def run(api_url, api_key, args, nonce):
    client = OpenAI(base_url=api_url, api_key=api_key or "none", max_retries=0, timeout=args.request_timeout)
    model = args.model or client.models.list().data[0].id
    timed_turn(client, model, [{"role": "user", "content": "Say hello."}], 4)
    conversations = []
    for k in range(1, args.conversations + 1):
        system = {"role": "system", "content": system_prompt(f"{nonce}-{k}", args.system_tokens)}
        turn1 = [system, {"role": "user", "content": QUESTION_1}]
        ttft1, answer, usage1 = timed_turn(client, model, turn1, args.max_tokens)
        turn2 = turn1 + [{"role": "assistant", "content": answer}, {"role": "user", "content": QUESTION_2}]
        ttft2, _, usage2 = timed_turn(client, model, turn2, args.max_tokens)
        c = {"ttft1_ms": round(ttft1 * 1000, 1), "ttft2_ms": round(ttft2 * 1000, 1), "ratio": round(ttft1 / ttft2, 2),
             "prompt_tokens1": usage1.prompt_tokens, "cached_tokens1": cached_tokens(usage1),
             "prompt_tokens2": usage2.prompt_tokens, "cached_tokens2": cached_tokens(usage2)}
        print(f"conversation {k}: turn 1 TTFT {c['ttft1_ms']} ms ({c['prompt_tokens1']} prompt tokens, "
              f"{c['cached_tokens1']} cached), turn 2 TTFT {c['ttft2_ms']} ms ({c['prompt_tokens2']} prompt tokens, "
              f"{c['cached_tokens2']} cached): {c['ratio']}x", file=sys.stderr, flush=True)
        conversations.append(c)
    return model, conversations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=3, help="(default %(default)s)")
    parser.add_argument("--system-tokens", type=int, default=1000, help="system prompt size, about (default %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=16, help="max_tokens of each turn (default %(default)s)")
    parser.add_argument("--min-ratio", type=float, default=5.0,
                        help="fail below this median turn-1 / median turn-2 TTFT (default %(default)s)")
    parser.add_argument("--model", help="model id (default: the first of /v1/models)")
    parser.add_argument("--nonce", default=secrets.token_hex(4), help="session nonce (default: random)")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds per request (default %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON report to FILE")
    add_server_arguments(parser)
    args = parser.parse_args()
    if args.conversations < 1 or args.system_tokens < 1 or args.max_tokens < 1:
        parser.error("--conversations, --system-tokens and --max-tokens must be positive")
    exit_cleanly_on_sigterm()

    with server_from_args(args) as (api_url, api_key):
        model, conversations = run(api_url, api_key, args, args.nonce)

    ttft1 = statistics.median(c["ttft1_ms"] for c in conversations)
    ttft2 = statistics.median(c["ttft2_ms"] for c in conversations)
    ratio = ttft1 / ttft2
    report = {"base_url": api_url, "model": model, "nonce": args.nonce, "system_tokens_target": args.system_tokens,
              "max_tokens": args.max_tokens, "conversations": conversations, "median_ttft1_ms": ttft1,
              "median_ttft2_ms": ttft2, "ratio": round(ratio, 2), "min_ratio": args.min_ratio}
    print(f"median TTFT: turn 1 {ttft1} ms, turn 2 {ttft2} ms, ratio {ratio:.2f} (goal >= {args.min_ratio})", file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")

    warm = [c for c in conversations if c["cached_tokens1"] and c["cached_tokens1"] > c["prompt_tokens1"] // 2]
    if warm:
        print(f"prefix_reuse: FAILED: turn 1 was not cold in {len(warm)} conversation(s) (the server reports "
              "more than half of its prompt as cached), so the ratio means nothing", file=sys.stderr)
        return 1
    if ratio < args.min_ratio:
        print(f"prefix_reuse: FAILED: ratio {ratio:.2f} < --min-ratio {args.min_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
