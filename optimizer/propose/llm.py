"""The model proposer: ask an LLM (through litellm) for k rewrites of a target.

litellm is imported lazily: it takes ~2 s to import and the offline paths
(patterns, --help, usage errors) should not pay for it.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import prompts

from ..errors import OptimizeError, ProviderAuthError, ProviderUnavailable, UnknownModel
from ..model import Candidate, LLMUsage, Target
from .base import FreshLocks, ProposalContext
from .budget import Budget
from .parse import ParseError, parse_answer
from .store import ResponseCache, Transcript

DEFAULT_OPENAI_MODEL = "openai/gpt-4.1"
DEFAULT_ANTHROPIC_MODEL = "anthropic/claude-sonnet-4-5"

# Messages that mean "no usable key", whatever status litellm dressed them in:
# with openai>=2 a missing OPENAI_API_KEY surfaces as InternalServerError (500).
_MISSING_KEY = re.compile(r"missing credentials|missing \w+ api key|api_key client option must be set", re.I)
_UNKNOWN_MODEL = re.compile(r"LLM Provider NOT provided|model_not_found|does not exist|unknown model|invalid model", re.I)


def _litellm():
    """Import litellm quietly and without network access."""
    # Without this, importing litellm fetches the model price list from GitHub.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True   # no "Give Feedback / Get Help" banners on errors
    litellm.telemetry = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return litellm


class LLMProposer(FreshLocks):
    """Proposer backed by any litellm model string ("openai/gpt-4.1", "anthropic/...", ...).

    Each of the k samples of a request is looked up in the response cache first;
    a miss reserves room in the budget, calls the provider (retrying rate limits
    and server errors with backoff), and is cached. With a transcript, every
    answer is also recorded by (target, step, sample) for --replay."""

    _locks = ("_usage_lock",)

    def __init__(self, model: str, api_base: str | None = None, api_key: str | None = None,
                 timeout: float = 120.0, temperature: float = 0.7, *,
                 num_retries: int = 2, retry_delay: float = 1.0, budget: Budget | None = None,
                 cache: ResponseCache | None = None, record: Transcript | None = None):
        self.name = model
        self.model = model
        self.trusted = False
        self.iterative = True   # a model can repair and refine in later rounds
        self.api_base = api_base
        self.api_key = _api_key(model, api_base, api_key, os.environ)
        self.timeout = timeout
        self.temperature = temperature
        # We retry ourselves: litellm's num_retries needs the optional `tenacity` package
        # (without it every error becomes a bare Exception), retries even 401s, and does
        # not back off.
        self.num_retries = num_retries
        self.retry_delay = retry_delay
        self.budget = budget or Budget()
        self.cache = cache
        self.record = record
        self.usage = LLMUsage()
        self._usage_lock = threading.Lock()

    # -- the protocol ----------------------------------------------------------------------
    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        if k <= 0:
            return []
        messages = self.messages(target, context)
        keys = [self._key(target, context, i) for i in range(k)]
        hits = [self.cache.get(key) if self.cache else None for key in keys]
        if any(hit is None for hit in hits):
            _litellm()   # import once, before the threads race to do it (and not at all when all are cached)
        with ThreadPoolExecutor(max_workers=min(4, k), thread_name_prefix="llm") as pool:
            futures = [pool.submit(self._sample, target, context, messages, i, keys[i], hits[i]) for i in range(k)]
            try:
                results = [f.result() for f in futures]
            except OptimizeError:
                # Bad credentials or model: every other call would fail the same way.
                for f in futures:
                    f.cancel()
                raise
        return [c for c in results if c is not None]

    def messages(self, target: Target, context: ProposalContext) -> list[dict]:
        return [{"role": "system", "content": prompts.render("system")},
                {"role": "user", "content": render_request(target, context)}]

    # -- one sample ------------------------------------------------------------------------
    def _key(self, target: Target, context: ProposalContext, index: int) -> str:
        identity = {**context.identity(), "target": target.name, "temperature": self.temperature,
                    "templates": prompts.fingerprint()}
        return ResponseCache.key(self.model, identity, index)

    def _sample(self, target: Target, context: ProposalContext, messages: list[dict],
                index: int, key: str, hit: dict | None) -> Candidate | None:
        """None when the budget has no room for the call. `hit`: the cached answer, if any."""
        try:
            answer = self._answer(messages, key, hit)
        except OptimizeError:   # bad credentials or model: the whole request stops
            raise
        except Exception as exc:   # noqa: BLE001 - any provider failure is this candidate's failure
            return Candidate(target, self.model, "", error=f"model call failed: {_one_line(exc)}",
                             step=context.step)
        if answer is None:
            return None
        if self.record:
            self.record.add(target.name, context.step, index, {"answer": answer})
        return candidate_from_answer(target, self.model, answer, context)

    def _answer(self, messages: list[dict], key: str, hit: dict | None) -> str | None:
        """The cached answer (`hit`), or one call within the budget, counted and cached;
        None when the budget has no room. A provider failure raises."""
        if hit is not None:
            with self._usage_lock:
                self.usage.add(LLMUsage(cached=1))
            return hit["answer"]
        if not self.budget.reserve():
            return None
        used = LLMUsage()
        try:
            answer = self._call(messages, used)
        finally:
            self.budget.settle(used)
            with self._usage_lock:
                self.usage.add(used)
        if self.cache:
            self.cache.put(key, {"model": self.model, "answer": answer})
        return answer

    def _call(self, messages: list[dict], used: LLMUsage) -> str:
        litellm = _litellm()
        response = self._complete(litellm, messages)
        used.calls = 1
        u = getattr(response, "usage", None)
        used.prompt_tokens = int(getattr(u, "prompt_tokens", 0) or 0)
        used.completion_tokens = int(getattr(u, "completion_tokens", 0) or 0)
        try:
            used.cost_usd = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:   # noqa: BLE001 - models missing from the price map cost "unknown", i.e. 0
            used.cost_usd = 0.0
        return response.choices[0].message.content or ""

    def _complete(self, litellm, messages: list[dict]):
        for attempt in range(self.num_retries + 1):
            try:
                return litellm.completion(
                    model=self.model,
                    messages=messages,
                    api_base=self.api_base,
                    api_key=self.api_key,
                    timeout=self.timeout,
                    temperature=self.temperature,
                    drop_params=True,   # models that refuse `temperature` (o-series) get it dropped
                    max_retries=0,      # no hidden retries in the openai client under ours
                )
            except Exception as exc:   # noqa: BLE001 - classified below
                fatal = _fatal_error(self.model, exc)
                if fatal is not None:
                    raise fatal from None
                if attempt == self.num_retries or not _transient(exc):
                    raise
                time.sleep(self.retry_delay * (2 ** attempt))

    def ask(self, target: Target, question: str, hints: tuple[str, ...] = ()) -> str:
        """A person's question about the target, answered in prose (optimize session's /ask);
        counted against the budget, never cached (a conversation, not a candidate)."""
        messages = [{"role": "system", "content": prompts.render("system")},
                    {"role": "user", "content": prompts.render(
                        "ask", target_name=target.name, source=_dedented(target.source, target.indent),
                        question=question, hints=hints)}]
        if not self.budget.reserve():
            return "(the model budget is spent)"
        used = LLMUsage()
        try:
            return self._call(messages, used)
        finally:
            self.budget.settle(used)
            with self._usage_lock:
                self.usage.add(used)

    def suggest_inputs(self, target: Target, original_source: str, candidate_source: str, diff: str) -> list[str]:
        """Ask once for inputs likely to tell the original and a candidate apart
        (prompts/inputs.jinja): the lines of the answer's code block, each meant to be an
        argument tuple literal (search.parse_suggestions reads them with ast.literal_eval
        only). Cached, recorded and budgeted like any other call; [] when the budget has
        no room. A provider failure raises (the search notes it)."""
        messages = inputs_messages(target, original_source, candidate_source, diff)
        step = inputs_step(candidate_source)
        key = ResponseCache.key(self.model, {"mode": "inputs", "target": target.name, "original": original_source,
                                             "candidate": candidate_source, "temperature": self.temperature,
                                             "templates": prompts.fingerprint()}, 0)
        answer = self._answer(messages, key, self.cache.get(key) if self.cache else None)
        if answer is None:
            return []
        if self.record:
            self.record.add(target.name, step, 0, {"answer": answer})
        return answer_lines(answer)


class ReplayProposer:
    """A recorded transcript standing in for the model (--replay): the same requests get
    the same answers, with no provider, key or network."""

    def __init__(self, transcript: Transcript):
        self.transcript = transcript
        self.name = transcript.model or "replay"
        self.trusted = False
        self.iterative = True   # the recorded run's later rounds are in the transcript too
        self.usage = LLMUsage()

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        out = []
        for index in range(k):
            entry = self.transcript.get(target.name, context.step, index)
            if entry is None:
                continue   # the recorded run asked fewer samples here
            self.usage.cached += 1
            out.append(candidate_from_answer(target, self.name, str(entry.get("answer", "")), context))
        return out

    def suggest_inputs(self, target: Target, original_source: str, candidate_source: str, diff: str) -> list[str]:
        """The recorded answer to the same request (same target and candidate), if any."""
        entry = self.transcript.get(target.name, inputs_step(candidate_source), 0)
        if entry is None:
            return []
        self.usage.cached += 1
        return answer_lines(str(entry.get("answer", "")))


def inputs_messages(target: Target, original_source: str, candidate_source: str, diff: str,
                    max_calls: int = 8) -> list[dict]:
    """The request for inputs that tell two versions apart (prompts/inputs.jinja)."""
    return [{"role": "user", "content": prompts.render(
        "inputs", target_name=target.name, func_name=target.func_name, original=original_source.strip("\n"),
        candidate=candidate_source.strip("\n"), diff=diff.strip("\n"), max_calls=max_calls)}]


def inputs_step(candidate_source: str) -> str:
    """Names an inputs request in transcripts: one per candidate version."""
    import hashlib

    return "inputs/" + hashlib.sha256(candidate_source.encode()).hexdigest()[:12]


def answer_lines(answer: str) -> list[str]:
    """The lines of the answer's first fenced block (the whole answer without one)."""
    found = re.search(r"```[^\n]*\n(.*?)(?:```|$)", answer, flags=re.S)
    body = found.group(1) if found else answer
    return [ln for ln in body.splitlines() if ln.strip()]


def render_request(target: Target, context: ProposalContext) -> str:
    """The user message for one request: optimize, repair or refine (prompts/<mode>.jinja)."""
    return prompts.render(
        context.mode,
        target_name=target.name,
        func_name=target.func_name,
        source=_dedented(target.source, target.indent),
        annotated_source=context.annotated_source,
        imports=tuple(target.imports),
        callee_sources={q: textwrap.dedent(s).strip("\n") for q, s in context.callee_sources.items()},
        share=context.share,
        block_profile=context.block_profile,
        python_version=context.python_version,
        libraries=context.libraries,
        patterns=context.patterns,
        examples=context.examples,
        budget=context.budget,
        previous=context.previous,
        feedback=context.feedback,
        hints=context.hints,
    )


def candidate_from_answer(target: Target, origin: str, answer: str, context: ProposalContext) -> Candidate:
    original, carried = _dedented(target.source, target.indent), ()
    if context.mode != "optimize" and context.previous:
        # Edits in a repair or refine answer are against the version shown, which may
        # rely on imports it added to the module (`import collections` for a deque).
        original, carried = context.previous, context.previous_imports
    try:
        source, imports = parse_answer(answer, target.func_name, original)
    except ParseError as exc:
        return Candidate(target, origin, "", error=f"unusable answer: {exc.reason}", step=context.step)
    return Candidate(target, origin, source, tuple(dict.fromkeys(carried + imports)), note=_prose(answer),
                     step=context.step)


def resolve_model(flag: str | None, pyproject_config: Mapping, environ: Mapping[str, str]
                  ) -> tuple[str | None, str | None]:
    """(model, api_base): the --model flag, else [tool.optimize] model, else a default chosen
    by which provider key is in the environment; (None, None) when there is no model."""
    cfg = pyproject_config or {}
    if "tool" in cfg:   # accept the whole pyproject table as well as its [tool.optimize] part
        cfg = cfg.get("tool", {}).get("optimize", {}) or {}
    api_base = cfg.get("api_base") or None
    model = flag or cfg.get("model") or None
    if model is None:
        if environ.get("OPENAI_API_KEY"):
            model = DEFAULT_OPENAI_MODEL
        elif environ.get("ANTHROPIC_API_KEY"):
            model = DEFAULT_ANTHROPIC_MODEL
        else:
            return None, None
    return model, api_base


def check_credentials(model: str, api_base: str | None, environ: Mapping[str, str]) -> None:
    """Fail fast (before minutes of capture) when the provider's key is missing.
    With --api-base the server decides: local servers often need no key."""
    if api_base:
        return
    missing = _litellm().validate_environment(model).get("missing_keys", [])
    keys = [k for k in missing if k.endswith(("_KEY", "_TOKEN")) and not environ.get(k)]
    if keys:
        raise ProviderAuthError(f"model {model} needs {' or '.join(keys)} in the environment "
                         "(or --api-base for a server that needs no key)")


def preflight(model: str, api_base: str | None, timeout: float = 10.0,
              environ: Mapping[str, str] = os.environ) -> None:
    """Check, before a run starts, that the model endpoint answers: one tiny real request.

    This costs one small billed call (a one-word prompt, max_tokens=1). It is not
    counted in any Budget or usage, not cached and not recorded. No retries and no
    backoff: a closed port fails at once, a silent host after `timeout` seconds.

    Raises ProviderAuthError when the key is missing or refused (401/403), UnknownModel
    when the provider does not know the model (404, or 400 saying so), and
    ProviderUnavailable, naming the URL, when the endpoint cannot be reached (refused
    connection, unknown host, timeout). Any other failure (a 500, a rate limit) returns
    normally: the run's own retries deal with passing trouble.

    `environ` decides the key as LLMProposer does (an OpenAI-compatible `api_base` with
    no OPENAI_API_KEY gets a placeholder key); litellm itself reads the process
    environment for provider keys."""
    check_credentials(model, api_base, environ)
    litellm = _litellm()
    try:
        litellm.completion(
            model=model,
            messages=[{"role": "user", "content": "ping"}],
            max_tokens=1,
            api_base=api_base,
            api_key=_api_key(model, api_base, None, environ),
            timeout=timeout,
            drop_params=True,
            max_retries=0,    # the openai client's own retries
            num_retries=0,    # litellm's
        )
    except Exception as exc:   # noqa: BLE001 - classified below
        fatal = _fatal_error(model, exc)
        if fatal is not None:
            raise fatal from None
        if _unreachable(exc):
            where = api_base or _request_url(exc) or _default_endpoint(model, environ)
            raise ProviderUnavailable(f"cannot reach the model endpoint {where} for {model}: "
                                      f"{_unreachable_reason(exc)}") from None
        # Anything else (500, 429, ...) may pass; the run retries such errors itself.


def _api_key(model: str, api_base: str | None, api_key: str | None, environ: Mapping[str, str]) -> str | None:
    if api_key is None and api_base and model.startswith("openai/") and not environ.get("OPENAI_API_KEY"):
        return "no-key"   # an OpenAI-compatible local server; the client insists on some key
    return api_key


def _fatal_error(model: str, exc: Exception) -> OptimizeError | None:
    """The user's error behind a provider failure (no retry will help), else None."""
    status = getattr(exc, "status_code", None)
    msg = _one_line(exc)
    if status in (401, 403) or _MISSING_KEY.search(msg):
        return ProviderAuthError(f"model provider rejected the credentials for {model}: {msg}")
    if status == 404 or (status == 400 and _UNKNOWN_MODEL.search(msg)):
        return UnknownModel(f"model provider does not know {model}: {msg}")
    return None


def _chain(exc: BaseException):
    """The exception and the ones it was raised from (litellm wraps the httpx error twice)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(seen) < 20:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _transport_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror]
    try:
        import httpx

        kinds.append(httpx.TransportError)   # ConnectError, ConnectTimeout, ReadTimeout, ...
    except ImportError:
        pass
    try:
        import openai

        kinds.append(openai.APIConnectionError)   # and APITimeoutError
    except ImportError:
        pass
    # Not litellm.APIConnectionError: litellm also uses it for failures it cannot name.
    kinds.append(_litellm().Timeout)
    return tuple(kinds)


def _unreachable(exc: Exception) -> bool:
    """A refused connection, an unknown host or a timeout, however litellm dressed it
    (a refused connection to an OpenAI endpoint arrives as InternalServerError 500)."""
    kinds = _transport_errors()
    return any(isinstance(e, kinds) for e in _chain(exc))


def _unreachable_reason(exc: Exception) -> str:
    """The innermost cause, in a few words ("[Errno 111] Connection refused")."""
    innermost = list(_chain(exc))[-1]
    if isinstance(innermost, TimeoutError) or "timeout" in type(innermost).__name__.lower():
        return "timed out"
    return _one_line(innermost, limit=160)


def _request_url(exc: Exception) -> str | None:
    """The URL the transport failed on: httpx and openai keep the request (litellm's own
    wrappers carry a placeholder, so only those are read)."""
    import httpx

    for e in _chain(exc):
        if not isinstance(e, httpx.TransportError) and type(e).__module__.split(".")[0] != "openai":
            continue
        try:
            url = e.request.url
        except (AttributeError, RuntimeError):   # httpx raises RuntimeError when no request is set
            continue
        if url is not None and getattr(url, "host", None):
            return str(url.copy_with(query=None))
    return None


_DEFAULT_ENDPOINTS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}


def _default_endpoint(model: str, environ: Mapping[str, str]) -> str:
    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider == "openai":
        base = environ.get("OPENAI_BASE_URL") or environ.get("OPENAI_API_BASE")
        if base:
            return base
    if provider in _DEFAULT_ENDPOINTS:
        return _DEFAULT_ENDPOINTS[provider]
    return f"the {provider or model} endpoint"


def _transient(exc: Exception) -> bool:
    """Worth another try: timeouts, rate limits, server errors, dropped connections."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in (408, 409, 429) or status >= 500
    return "timeout" in type(exc).__name__.lower() or "connection" in type(exc).__name__.lower()


def _one_line(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    # litellm says "litellm.RateLimitError: RateLimitError: OpenAIException - <provider text>"
    text = re.sub(r"^litellm\.\w+: ", "", text)
    text = re.sub(r"\b\w+Exception - ", "", text, count=1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dedented(source: str, indent: str) -> str:
    """A method's source may start at the `def` column with later lines still indented."""
    if indent and not source[:1].isspace():
        source = indent + source
    return textwrap.dedent(source).strip("\n")


def _prose(answer: str, limit: int = 300) -> str:
    """What the model said outside its code, as the candidate's note."""
    text = re.sub(r"```.*?(```|$)", " ", answer, flags=re.S)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
