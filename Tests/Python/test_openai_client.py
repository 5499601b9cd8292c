#!/usr/bin/env python3
"""usage: Tests/Python/test_openai_client.py [--binary PATH] [--model PATH] [--filter TEXT]

End-to-end test of `lorekeeper serve` through the official `openai` Python package, used as any
client would use it. Starts the server itself (free loopback port, --ctx 1024, --parallel 4, a random
--api-key, a temporary --data-dir), runs each check and prints one line for it ("ok" or "FAIL" with
the reason), always stops the server, and closes with "N passed, M failed". Exits 0 only when every
check passed; on a failure the end of the server's log is printed too.

  --binary  lorekeeper executable (default $LOREKEEPER_BIN or .build/release/lorekeeper)
  --model   model file (default $LOREKEEPER_MODEL or models/SmolLM2-135M-Instruct.Q4_1.gguf)
  --filter  run only the checks whose name contains TEXT

Needs `pip install openai` and a release build (swift build -c release). Takes well under a minute.
"""
import argparse
import asyncio
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lorekeeper_server import LorekeeperServer, ServerError, default_binary, default_model, exit_cleanly_on_sigterm  # noqa: E402
from checks import CheckFailed, Checks, expect  # noqa: E402

try:
    import openai
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion
except ImportError:
    sys.exit("test_openai_client: the `openai` package is missing: python3 -m pip install openai")

CTX = 1024
PARALLEL = 4
REQUEST_TIMEOUT = 60.0

PARIS_QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
PARIS_ANSWER = "The capital of France is Paris."  # the model's greedy answer
STORY = [{"role": "user", "content": "Write a short story about a dragon who collects teapots."}]
RAW_PROMPTS = ["The capital of France is", "Once upon a time, in a small village,"]


def expect_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def expect_usage(usage, what="usage"):
    expect(usage is not None, f"{what} is missing")
    expect(usage.prompt_tokens > 0, f"{what}.prompt_tokens is {usage.prompt_tokens}, expected > 0")
    expect(usage.completion_tokens > 0, f"{what}.completion_tokens is {usage.completion_tokens}, expected > 0")
    expect_eq(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, f"{what}.total_tokens (prompt + completion)")


_ANY = object()


def expect_api_error(call, error_class, status, param=_ANY, code=_ANY):
    """Runs `call`, which must raise `error_class` with HTTP `status` and an OpenAI error body
    ({"message","type","param","code"}); `param` and `code`, when given, must match too."""
    try:
        call()
    except error_class as e:
        expect_eq(e.status_code, status, "HTTP status")
        body = e.body
        expect(isinstance(body, dict) and {"message", "type", "param", "code"} <= body.keys(),
               f"the error body {body!r} lacks some of message, type, param, code")
        expect(isinstance(body["message"], str) and body["message"], f"the error message is empty in {body!r}")
        expect(isinstance(body["type"], str) and body["type"], f"the error type is empty in {body!r}")
        if param is not _ANY:
            expect_eq(e.param, param, f"error param (message: {body['message']})")
        if code is not _ANY:
            expect_eq(e.code, code, f"error code (message: {body['message']})")
        return
    except openai.APIError as e:
        raise CheckFailed(f"expected {error_class.__name__} ({status}), got {type(e).__name__} "
                          f"{getattr(e, 'status_code', '')}: {e}") from None
    raise CheckFailed(f"expected {error_class.__name__} ({status}), but the request succeeded")


class ChatStream:
    """The pieces of a streamed chat completion with one choice."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.choice_chunks = [c for c in chunks if c.choices]
        self.usage_chunks = [c for c in chunks if not c.choices]
        expect(self.choice_chunks, "the stream has no chunk with choices")
        for c in self.choice_chunks:
            expect_eq([ch.index for ch in c.choices], [0], "choice indices of a chunk")
        self.text = "".join(c.choices[0].delta.content or "" for c in self.choice_chunks)
        self.finishes = [c.choices[0].finish_reason for c in self.choice_chunks if c.choices[0].finish_reason]
        self.logprobs = [lp for c in self.choice_chunks if c.choices[0].logprobs and c.choices[0].logprobs.content
                         for lp in c.choices[0].logprobs.content]

    def expect_well_formed(self, finish_reason):
        first = self.choice_chunks[0]
        expect_eq(first.choices[0].delta.role, "assistant", "delta.role of the first chunk")
        expect_eq(self.finishes, [finish_reason], "finish_reason of the chunks (exactly one, on the last)")
        expect_eq(self.choice_chunks[-1].choices[0].finish_reason, finish_reason, "finish_reason of the last chunk")
        for c in self.chunks:
            expect_eq(c.object, "chat.completion.chunk", "chunk object")
        expect_eq(len({c.id for c in self.chunks}), 1, "number of distinct chunk ids")


class Harness:
    def __init__(self, server, api_key):
        self.server = server
        self.model = server.model_id
        self.api_key = api_key
        self.client = OpenAI(base_url=server.api_url, api_key=api_key, max_retries=0, timeout=REQUEST_TIMEOUT)

    def chat(self, messages=PARIS_QUESTION, **kwargs):
        kwargs.setdefault("temperature", 0)
        if "max_completion_tokens" not in kwargs:
            kwargs.setdefault("max_tokens", 24)
        return self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)

    def chat_stream(self, messages=PARIS_QUESTION, **kwargs):
        return ChatStream(list(self.chat(messages, stream=True, **kwargs)))

    def complete(self, prompt, **kwargs):
        kwargs.setdefault("temperature", 0)
        kwargs.setdefault("max_tokens", 8)
        return self.client.completions.create(model=self.model, prompt=prompt, **kwargs)

    def post_raw(self, path, body=None, content=None):
        """A POST that bypasses the client's request building (for malformed requests); errors still
        go through the client's own mapping to exception classes."""
        options = {"headers": {"Content-Type": "application/json"}}
        if content is not None:
            return self.client.post(path, cast_to=ChatCompletion, content=content, options=options)
        return self.client.post(path, cast_to=ChatCompletion, body=body, options=options)

    def http_get(self, path, authorized=True):
        """(status, content type, body text) of GET path on the server root, with urllib."""
        request = urllib.request.Request(self.server.base_url + path)
        if authorized:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode()


check = Checks()


# MARK: health, metrics, models

@check("GET /health answers 200 {\"status\":\"ok\"} without an API key")
def health(h):
    status, _, body = h.http_get("/health", authorized=False)
    expect_eq(status, 200, "status")
    expect(re.fullmatch(r'\s*\{\s*"status"\s*:\s*"ok"\s*\}\s*', body), f"body {body!r}")


@check("models.list() contains the base model")
def models_list(h):
    models = h.client.models.list()
    ids = [m.id for m in models.data]
    expect(h.model in ids, f"{h.model!r} is not among {ids}")
    for m in models.data:
        expect_eq(m.object, "model", f"object of model {m.id}")


# MARK: chat

@check("chat: greedy answer, finish_reason stop, consistent usage")
def chat_greedy(h):
    r = h.chat()
    expect_eq(r.object, "chat.completion", "object")
    expect_eq(r.model, h.model, "model")
    expect_eq(len(r.choices), 1, "number of choices")
    choice = r.choices[0]
    expect_eq(choice.index, 0, "choice index")
    expect_eq(choice.message.role, "assistant", "message role")
    expect_eq(choice.message.content, PARIS_ANSWER, "message content")
    expect_eq(choice.finish_reason, "stop", "finish_reason")
    expect(choice.logprobs is None, f"logprobs were not asked for but are {choice.logprobs!r}")
    expect_usage(r.usage)


@check("chat stream: role first, deltas add up to the non-streamed answer, one finish_reason, no usage")
def chat_stream(h):
    s = h.chat_stream()
    s.expect_well_formed("stop")
    expect_eq(s.text, PARIS_ANSWER, "concatenated deltas")
    expect_eq(len(s.usage_chunks), 0, "chunks without choices (usage was not asked for)")
    for c in s.chunks:
        expect(c.usage is None, f"a chunk has usage {c.usage!r} although include_usage was not set")


@check("chat stream with include_usage: last chunk has the usage and no choices")
def chat_stream_usage(h):
    s = h.chat_stream(stream_options={"include_usage": True})
    s.expect_well_formed("stop")
    expect_eq(s.text, PARIS_ANSWER, "concatenated deltas")
    expect_eq(len(s.usage_chunks), 1, "chunks without choices")
    expect(s.chunks[-1] is s.usage_chunks[0], "the usage chunk is not the last one")
    for c in s.chunks[:-1]:
        expect(c.usage is None, f"a chunk before the last has usage {c.usage!r}")
    expect_usage(s.chunks[-1].usage, "usage of the last chunk")
    plain = h.chat().usage
    expect_eq((s.chunks[-1].usage.prompt_tokens, s.chunks[-1].usage.completion_tokens),
              (plain.prompt_tokens, plain.completion_tokens), "streamed (prompt, completion) tokens vs non-streamed")


@check("chat stop strings: cut before the stop string, also inside a token, also when streaming")
def chat_stop(h):
    r = h.chat(stop=["Paris"])
    expect_eq(r.choices[0].message.content, "The capital of France is ", "content with stop 'Paris'")
    expect_eq(r.choices[0].finish_reason, "stop", "finish_reason with stop 'Paris'")
    # " of Fr" ends in the middle of the token " France".
    r = h.chat(stop=["zzz", " of Fr"])
    expect_eq(r.choices[0].message.content, "The capital", "content with stop ['zzz', ' of Fr']")
    expect_eq(r.choices[0].finish_reason, "stop", "finish_reason with stop ' of Fr'")
    s = h.chat_stream(stop=" of Fr")
    s.expect_well_formed("stop")
    expect_eq(s.text, "The capital", "streamed content with stop ' of Fr'")


@check("chat max_tokens: finish_reason length after exactly max_tokens tokens")
def chat_max_tokens(h):
    for field in ("max_tokens", "max_completion_tokens"):
        r = h.chat(**{field: 3})
        text = r.choices[0].message.content
        expect_eq(r.choices[0].finish_reason, "length", f"finish_reason with {field}=3")
        expect_eq(r.usage.completion_tokens, 3, f"completion_tokens with {field}=3")
        expect(text and PARIS_ANSWER.startswith(text), f"{text!r} (with {field}=3) is not a start of {PARIS_ANSWER!r}")


@check("chat n=2 at temperature 0: choices 0 and 1, both the greedy answer")
def chat_n_greedy(h):
    single = h.chat().usage
    r = h.chat(n=2)
    expect_eq([c.index for c in r.choices], [0, 1], "choice indices")
    for c in r.choices:
        expect_eq(c.message.content, PARIS_ANSWER, f"content of choice {c.index}")
        expect_eq(c.finish_reason, "stop", f"finish_reason of choice {c.index}")
    expect_usage(r.usage)
    expect_eq(r.usage.prompt_tokens, single.prompt_tokens, "prompt_tokens (the prompt counts once)")
    expect_eq(r.usage.completion_tokens, 2 * single.completion_tokens, "completion_tokens (both choices)")


@check("chat n=2 at temperature 1: the two choices are sampled independently")
def chat_n_sampled(h):
    r = h.chat(STORY, n=2, temperature=1.0, seed=7, max_tokens=16)
    texts = [c.message.content for c in sorted(r.choices, key=lambda c: c.index)]
    expect_eq(len(texts), 2, "number of choices")
    expect(texts[0] != texts[1], f"both choices are {texts[0]!r}")


@check("chat seed at temperature 1: same seed same text, other seeds other texts")
def chat_seed(h):
    def sample(seed):
        return h.chat(STORY, temperature=1.0, seed=seed, max_tokens=16).choices[0].message.content

    first, again = sample(1234), sample(1234)
    expect_eq(again, first, "text of the second request with seed 1234")
    # A single other seed could give the same 16 tokens by chance; four all doing so means the seed is ignored.
    others = [sample(seed) for seed in (1, 2, 3, 4)]
    expect(any(t != first for t in others), f"seeds 1234, 1, 2, 3, 4 all gave {first!r}")


@check("chat logprobs with top_logprobs=3: one entry per token, logprob <= 0, 3 sorted alternatives")
def chat_logprobs(h):
    r = h.chat(logprobs=True, top_logprobs=3, max_tokens=6)
    choice = r.choices[0]
    expect(choice.logprobs is not None and choice.logprobs.content is not None, "choices[0].logprobs.content is missing")
    content = choice.logprobs.content
    expect_eq(len(content), r.usage.completion_tokens, "number of logprobs entries (= completion_tokens)")
    expect_eq("".join(lp.token for lp in content), choice.message.content, "concatenated logprob tokens")
    for i, lp in enumerate(content):
        expect(lp.logprob <= 0, f"token {i} {lp.token!r} has logprob {lp.logprob} > 0")
        expect_eq(len(lp.top_logprobs), 3, f"length of top_logprobs of token {i}")
        tops = [t.logprob for t in lp.top_logprobs]
        expect(all(t <= 0 for t in tops), f"top_logprobs of token {i} has a value > 0: {tops}")
        expect(tops == sorted(tops, reverse=True), f"top_logprobs of token {i} are not sorted, most likely first: {tops}")
        expect(sum(2.718281828459045 ** t for t in tops) <= 1.0001, f"top_logprobs of token {i} add up to more than 1")
        # Greedy decoding picks the most likely token, so it is the first alternative.
        expect_eq(lp.top_logprobs[0].token, lp.token, f"first alternative of token {i} (greedy)")
        expect(abs(lp.top_logprobs[0].logprob - lp.logprob) < 1e-4,
               f"token {i}: logprob {lp.logprob} differs from its first alternative's {lp.top_logprobs[0].logprob}")


@check("chat stream logprobs: streamed logprob tokens add up to the streamed text")
def chat_stream_logprobs(h):
    s = h.chat_stream(logprobs=True, top_logprobs=2, max_tokens=6)
    s.expect_well_formed("length")
    expect_eq(len(s.logprobs), 6, "number of streamed logprobs entries")
    expect_eq("".join(lp.token for lp in s.logprobs), s.text, "concatenated logprob tokens")
    for lp in s.logprobs:
        expect(lp.logprob <= 0 and len(lp.top_logprobs) == 2, f"entry {lp!r}")


# MARK: completions

@check("completions: a string prompt gives one choice; a list of prompts one choice each, in order")
def completions_prompts(h):
    singles = []
    for prompt in RAW_PROMPTS:
        r = h.complete(prompt)
        expect_eq(r.object, "text_completion", "object")
        expect_eq(r.model, h.model, "model")
        expect_eq([c.index for c in r.choices], [0], f"choice indices for {prompt!r}")
        expect(r.choices[0].text, f"empty completion for {prompt!r}")
        expect(r.choices[0].finish_reason in ("stop", "length"), f"finish_reason {r.choices[0].finish_reason!r}")
        expect_usage(r.usage, f"usage for {prompt!r}")
        singles.append(r)
    batch = h.complete(RAW_PROMPTS)
    expect_eq(sorted(c.index for c in batch.choices), [0, 1], "choice indices for a list of two prompts")
    for c in batch.choices:
        expect_eq(c.text, singles[c.index].choices[0].text, f"text of choice {c.index} vs its prompt alone")
    expect_usage(batch.usage)
    expect_eq(batch.usage.prompt_tokens, sum(s.usage.prompt_tokens for s in singles), "prompt_tokens of the list")
    expect_eq(batch.usage.completion_tokens, sum(s.usage.completion_tokens for s in singles), "completion_tokens of the list")


@check("completions echo: the text is the prompt followed by the completion")
def completions_echo(h):
    prompt = RAW_PROMPTS[0]
    plain = h.complete(prompt).choices[0].text
    echoed = h.complete(prompt, echo=True).choices[0].text
    expect_eq(echoed, prompt + plain, "echoed text")


@check("completions max_tokens, stop, n=2")
def completions_options(h):
    r = h.complete(RAW_PROMPTS[1], max_tokens=2)
    expect_eq(r.choices[0].finish_reason, "length", "finish_reason with max_tokens=2")
    expect_eq(r.usage.completion_tokens, 2, "completion_tokens with max_tokens=2")
    full = h.complete(RAW_PROMPTS[1], max_tokens=12).choices[0].text
    expect(len(full) >= 8, f"completion {full!r} is too short to take a stop string from")
    # A stop string from the middle of the greedy completion: the same request with it must end just
    # before its first occurrence.
    stop = full[len(full) // 2: len(full) // 2 + 3]
    r = h.complete(RAW_PROMPTS[1], max_tokens=12, stop=[stop])
    expect_eq(r.choices[0].text, full[: full.index(stop)], f"text with stop {stop!r} (full text {full!r})")
    expect_eq(r.choices[0].finish_reason, "stop", f"finish_reason with stop {stop!r}")
    r = h.complete(RAW_PROMPTS, n=2, max_tokens=4)
    expect_eq(sorted(c.index for c in r.choices), [0, 1, 2, 3], "choice indices of 2 prompts x n=2")


@check("completions stream: pieces add up to the non-streamed text, usage chunk last")
def completions_stream(h):
    plain = h.complete(RAW_PROMPTS[0])
    chunks = list(h.complete(RAW_PROMPTS[0], stream=True, stream_options={"include_usage": True}))
    with_choices = [c for c in chunks if c.choices]
    expect(with_choices, "no chunk with choices")
    expect_eq("".join(c.choices[0].text for c in with_choices), plain.choices[0].text, "concatenated text")
    finishes = [c.choices[0].finish_reason for c in with_choices if c.choices[0].finish_reason]
    expect_eq(finishes, [plain.choices[0].finish_reason], "finish_reasons of the chunks")
    expect(not chunks[-1].choices, "the last chunk has choices; expected the usage chunk")
    expect_usage(chunks[-1].usage, "usage of the last chunk")
    expect_eq(chunks[-1].usage.completion_tokens, plain.usage.completion_tokens, "streamed completion_tokens")


@check("completions logprobs=2: tokens, logprobs <= 0, at most 3 alternatives per token")
def completions_logprobs(h):
    r = h.complete(RAW_PROMPTS[0], logprobs=2, max_tokens=5)
    lp = r.choices[0].logprobs
    expect(lp is not None, "choices[0].logprobs is missing")
    n = r.usage.completion_tokens
    expect_eq((len(lp.tokens), len(lp.token_logprobs), len(lp.top_logprobs), len(lp.text_offset)), (n, n, n, n),
              "lengths of tokens, token_logprobs, top_logprobs, text_offset")
    expect_eq("".join(lp.tokens), r.choices[0].text, "concatenated tokens")
    expect(all(x <= 0 for x in lp.token_logprobs), f"token_logprobs {lp.token_logprobs}")
    # OpenAI: the logprobs most likely tokens, plus the chosen one when it is not among them.
    expect(all(1 <= len(t) <= 3 for t in lp.top_logprobs), f"top_logprobs {lp.top_logprobs}")
    expect(lp.text_offset == sorted(lp.text_offset), f"text_offset {lp.text_offset} is not increasing")


# MARK: errors

@check("error: unknown model -> NotFoundError (404)")
def error_unknown_model(h):
    expect_api_error(lambda: h.client.chat.completions.create(model="no-such-model", messages=PARIS_QUESTION, max_tokens=4),
                     openai.NotFoundError, 404)
    expect_api_error(lambda: h.client.completions.create(model="no-such-model", prompt="Hello", max_tokens=4),
                     openai.NotFoundError, 404)


@check("error: body that is not JSON -> BadRequestError (400)")
def error_bad_json(h):
    expect_api_error(lambda: h.post_raw("/chat/completions", content=b'{"model": "x", "messages": [{"role": '),
                     openai.BadRequestError, 400)
    expect_api_error(lambda: h.post_raw("/completions", content=b"prompt=Hello"), openai.BadRequestError, 400)


@check("error: missing messages / prompt -> BadRequestError (400) naming the field")
def error_missing_field(h):
    expect_api_error(lambda: h.post_raw("/chat/completions", body={"model": h.model}),
                     openai.BadRequestError, 400, param="messages")
    expect_api_error(lambda: h.post_raw("/completions", body={"model": h.model}),
                     openai.BadRequestError, 400, param="prompt")


@check("error: wrong types and out-of-range values -> BadRequestError (400) naming the field")
def error_wrong_types(h):
    cases = [({"messages": "What is the capital of France?"}, "messages"),
             ({"messages": PARIS_QUESTION, "max_tokens": "ten"}, "max_tokens"),
             ({"messages": PARIS_QUESTION, "temperature": "hot"}, "temperature"),
             ({"messages": PARIS_QUESTION, "temperature": 3.5}, "temperature"),
             ({"messages": PARIS_QUESTION, "max_tokens": 0}, "max_tokens")]
    for fields, param in cases:
        expect_api_error(lambda: h.post_raw("/chat/completions", body={"model": h.model, **fields}),
                         openai.BadRequestError, 400, param=param)
    expect_api_error(lambda: h.post_raw("/chat/completions", body={"model": h.model, "messages": [{"role": "user", "content": 42}]}),
                     openai.BadRequestError, 400)


@check(f"error: prompt longer than the context ({CTX}) -> BadRequestError (400) context_length_exceeded")
def error_context_length(h):
    # Every word is at least one token.
    long_text = " ".join(f"word{i % 97}" for i in range(2 * CTX))
    expect_api_error(lambda: h.chat([{"role": "user", "content": long_text}], max_tokens=4),
                     openai.BadRequestError, 400, code="context_length_exceeded")
    expect_api_error(lambda: h.complete(long_text, max_tokens=4), openai.BadRequestError, 400, code="context_length_exceeded")


@check("error: wrong or missing API key -> AuthenticationError (401)")
def error_api_key(h):
    with OpenAI(base_url=h.server.api_url, api_key="wrong-" + h.api_key, max_retries=0, timeout=REQUEST_TIMEOUT) as wrong:
        expect_api_error(lambda: wrong.models.list(), openai.AuthenticationError, 401)
        expect_api_error(lambda: wrong.chat.completions.create(model=h.model, messages=PARIS_QUESTION, max_tokens=4),
                         openai.AuthenticationError, 401)
    status, _, body = h.http_get("/v1/models", authorized=False)
    expect_eq(status, 401, f"status of GET /v1/models without Authorization (body {body!r})")


# MARK: async client

@check("AsyncOpenAI: two concurrent streams both give the greedy answer")
def async_streams(h):
    async def run():
        async with AsyncOpenAI(base_url=h.server.api_url, api_key=h.api_key, max_retries=0, timeout=REQUEST_TIMEOUT) as client:
            async def one():
                stream = await client.chat.completions.create(model=h.model, messages=PARIS_QUESTION, temperature=0,
                                                              max_tokens=24, stream=True)
                return ChatStream([chunk async for chunk in stream])
            return await asyncio.gather(one(), one())

    for s in asyncio.run(run()):
        s.expect_well_formed("stop")
        expect_eq(s.text, PARIS_ANSWER, "concatenated deltas")


# MARK: metrics (last, so that its counters have seen the requests above)

PROMETHEUS_SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?")
PROMETHEUS_TYPE = re.compile(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)")


@check("GET /metrics is Prometheus text")
def metrics(h):
    status, content_type, body = h.http_get("/metrics")
    expect_eq(status, 200, "status")
    expect(content_type.startswith("text/plain"), f"Content-Type {content_type!r}")
    samples, types = 0, 0
    for line in body.splitlines():
        if not line.strip() or (line.startswith("#") and not line.startswith("# TYPE")):
            continue
        if line.startswith("# TYPE"):
            expect(PROMETHEUS_TYPE.fullmatch(line), f"bad TYPE line {line!r}")
            types += 1
            continue
        m = PROMETHEUS_SAMPLE.fullmatch(line)
        expect(m, f"bad sample line {line!r}")
        try:
            float(m.group(3))
        except ValueError:
            raise CheckFailed(f"bad sample value in {line!r}") from None
        samples += 1
    expect(samples > 0 and types > 0, f"{samples} samples and {types} TYPE lines")



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=default_binary(), help="lorekeeper executable (default %(default)s)")
    parser.add_argument("--model", type=Path, default=default_model(), help="model file (default %(default)s)")
    parser.add_argument("--filter", default="", help="run only the checks whose name contains this text")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()

    started = time.monotonic()
    api_key = "lk-test-" + secrets.token_hex(8)
    server = LorekeeperServer(args.binary, args.model, ctx=CTX, parallel=PARALLEL, api_key=api_key)
    try:
        server.start()
    except ServerError as e:
        print(f"FAIL  start the server: {e}")
        print("0 passed, 1 failed")
        return 1
    print(f"ok    start the server: {' '.join(server.command())}", flush=True)
    failed = ["(interrupted)"]
    try:
        passed, failed, _ = check.run(Harness(server, api_key), args.filter)
    finally:
        server.stop(keep_log=bool(failed))
        if failed:
            print(f"--- last lines of the server log {server.log_path} ---\n{server.log_tail()}---")
    print(f"{len(failed)} of the checks failed: " + "; ".join(failed) if failed else
          f"all checks passed in {time.monotonic() - started:.1f} s")
    print(f"{passed + 1} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
