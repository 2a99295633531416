"""GitHub for the pre-merge bot: what an Actions job is given, and the few REST calls
the bot makes (httpx, a plain HTTP client; `GITHUB_API_URL` points it at GitHub,
GitHub Enterprise, or a test's local server).

- `actions_context(environ)` reads the job's environment and the event file
  (`GITHUB_EVENT_PATH`); anything missing or unusable is a UsageError naming it.
  It refuses `pull_request_target`: that trigger runs with a write token and the
  repository's secrets, and reviewing means running the pull request's code.
- `GitHub` lists a pull request's earlier review comments and reviews (their
  hidden markers say what was already suggested) and posts one review. A 401,
  403, 404 or 422 is a GitHubError naming the call; rate limits (429, or 403 with
  no requests left) and 5xx answers are retried with backoff.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import OptimizeError, UsageError

SKIP_LABEL = "optimize:skip"
PER_PAGE = 100
MAX_PAGES = 30          # 3,000 comments: more than any pull request a bot should add to
RETRIES = 4
MAX_WAIT_S = 60.0       # longest single wait for a rate limit to reset


class GitHubError(OptimizeError):
    """A GitHub API call that failed for a reason the user must fix (token, permissions, names)."""


@dataclass(frozen=True)
class PullRequest:
    owner: str
    repo: str
    number: int
    head_sha: str
    base_sha: str
    base_ref: str
    draft: bool
    labels: tuple[str, ...]
    from_fork: bool          # its token is read-only: nothing can be posted


@dataclass(frozen=True)
class ActionsContext:
    api_url: str
    token: str
    pull: PullRequest
    step_summary: Path | None


def actions_context(environ: Mapping[str, str] = os.environ) -> ActionsContext:
    """What `optimize review --github` needs from a GitHub Actions job."""
    event_path = environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise UsageError("--github runs inside GitHub Actions: GITHUB_EVENT_PATH is not set (no event file)")
    name = environ.get("GITHUB_EVENT_NAME", "pull_request")
    if name == "pull_request_target":
        raise UsageError("optimize review does not run on pull_request_target: that trigger has a write token "
                         "and secrets, and a review runs the pull request's code; use on: pull_request")
    try:
        event = json.loads(Path(event_path).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event file {event_path}: {exc}") from None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pr, dict):
        raise UsageError(f"the {name} event has no pull_request: run optimize review --github on pull_request events")
    repository = environ.get("GITHUB_REPOSITORY") or (event.get("repository") or {}).get("full_name", "")
    if "/" not in repository:
        raise UsageError("GITHUB_REPOSITORY is not set (owner/name)")
    token = environ.get("GITHUB_TOKEN", "")
    if not token:
        raise UsageError("GITHUB_TOKEN is not set: pass it to the step (env: GITHUB_TOKEN: ${{ github.token }})")
    try:
        head, base = pr["head"], pr["base"]
        head_repo = (head.get("repo") or {}).get("full_name")
        base_repo = (base.get("repo") or {}).get("full_name") or repository
        pull = PullRequest(owner=repository.split("/")[0], repo=repository.split("/", 1)[1],
                           number=int(pr["number"]), head_sha=head["sha"], base_sha=base["sha"],
                           base_ref=base.get("ref", ""), draft=bool(pr.get("draft")),
                           labels=tuple(label.get("name", "") for label in pr.get("labels") or ()),
                           from_fork=head_repo is not None and head_repo != base_repo)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"the event's pull_request lacks {exc}") from None
    summary = environ.get("GITHUB_STEP_SUMMARY")
    return ActionsContext(api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
                          token=token, pull=pull, step_summary=Path(summary) if summary else None)


class GitHub:
    """The REST calls of the bot, over one httpx client."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        import httpx

        self.api_url = api_url.rstrip("/")
        self.sleep = sleep
        self.client = httpx.Client(timeout=timeout, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "optimize-review"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "GitHub":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def earlier_texts(self, pull: PullRequest) -> list[str]:
        """The bodies of the pull request's review comments and reviews, for their markers."""
        base = f"/repos/{pull.owner}/{pull.repo}/pulls/{pull.number}"
        return [item.get("body") or "" for path in (f"{base}/comments", f"{base}/reviews")
                for item in self._pages(path)]

    def post_review(self, pull: PullRequest, body: str, comments: list[dict]) -> dict:
        """One review, event COMMENT, on the head commit."""
        return self._call("POST", f"/repos/{pull.owner}/{pull.repo}/pulls/{pull.number}/reviews",
                          json={"commit_id": pull.head_sha, "event": "COMMENT", "body": body,
                                "comments": comments})

    def _pages(self, path: str) -> list[dict]:
        items: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            batch = self._call("GET", path, params={"per_page": PER_PAGE, "page": page})
            if not isinstance(batch, list):
                raise GitHubError(f"GitHub API: GET {path}: expected a list, got {type(batch).__name__}")
            items.extend(b for b in batch if isinstance(b, dict))
            if len(batch) < PER_PAGE:
                break
        return items

    def _call(self, method: str, path: str, **kwargs) -> Any:
        import httpx

        what = f"{method} {path}"
        for attempt in range(RETRIES + 1):
            try:
                response = self.client.request(method, self.api_url + path, **kwargs)
            except httpx.HTTPError as exc:
                if attempt == RETRIES:
                    raise GitHubError(f"GitHub API: {what}: {type(exc).__name__}: {exc}") from None
                self.sleep(2.0 ** attempt)
                continue
            wait = _retry_after(response, attempt)
            if wait is not None and attempt < RETRIES:
                self.sleep(wait)
                continue
            if response.is_success:
                return response.json() if response.content else None
            raise GitHubError(f"GitHub API: {what}: {response.status_code} {_message(response)}"
                              + _hint(response.status_code, method))
        raise AssertionError("unreachable")


def _retry_after(response, attempt: int) -> float | None:
    """Seconds to wait before trying again, or None when the answer is final."""
    status, headers = response.status_code, response.headers
    limited = status == 429 or (status == 403 and (headers.get("retry-after")
                                                  or headers.get("x-ratelimit-remaining") == "0"))
    if not limited and status not in (500, 502, 503, 504):
        return None
    if headers.get("retry-after", "").isdigit():
        return min(float(headers["retry-after"]), MAX_WAIT_S)
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return min(max(float(headers["x-ratelimit-reset"]) - time.time(), 1.0), MAX_WAIT_S)
    return min(2.0 ** attempt, MAX_WAIT_S)


def _message(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    message = data.get("message", "") if isinstance(data, dict) else ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if errors:
        message += ": " + "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3])
    return re.sub(r"\s+", " ", message).strip()[:300] or response.reason_phrase


def _hint(status: int, method: str) -> str:
    if status == 401:
        return " (the token is missing or invalid)"
    if status == 403 and method == "POST":
        return " (the token cannot write: give the job `permissions: pull-requests: write`)"
    if status == 404:
        return " (no such repository or pull request, or the token cannot see it)"
    return ""
