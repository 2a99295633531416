"""A fake GitHub REST API on 127.0.0.1 (pytest-httpserver): the calls the review bot
makes, with GitHub's shapes and failure modes, and a record of what was posted."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "ghs_faketoken0123456789abcdefghijklmnopq"


@dataclass
class FakeGitHub:
    server: HTTPServer
    owner: str = "acme"
    repo: str = "widgets"
    number: int = 7
    token: str = TOKEN
    comments: list[dict] = field(default_factory=list)    # review comments on the PR
    reviews: list[dict] = field(default_factory=list)     # reviews (their bodies)
    posted: list[dict] = field(default_factory=list)      # every POSTed review payload
    requests: list[str] = field(default_factory=list)     # "METHOD path?query" of every call
    failures: list[tuple[int, dict, dict]] = field(default_factory=list)   # next answers, before the real ones
    can_write: bool = True                                # False: a fork's read-only token

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    @property
    def pulls(self) -> str:
        return f"/repos/{self.owner}/{self.repo}/pulls/{self.number}"

    def start(self) -> "FakeGitHub":
        self.server.expect_request(f"{self.pulls}/comments", method="GET").respond_with_handler(
            lambda r: self._guarded(r, lambda: self._page(r, self.comments)))
        self.server.expect_request(f"{self.pulls}/reviews", method="GET").respond_with_handler(
            lambda r: self._guarded(r, lambda: self._page(r, self.reviews)))
        self.server.expect_request(f"{self.pulls}/reviews", method="POST").respond_with_handler(
            lambda r: self._guarded(r, lambda: self._post_review(r)))
        return self

    def _guarded(self, request: Request, answer) -> Response:
        self.requests.append(f"{request.method} {request.path}?{request.query_string.decode()}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, {"message": "Bad credentials"})
        if self.failures:
            status, body, headers = self.failures.pop(0)
            return _json(status, body, headers)
        return answer()

    def _page(self, request: Request, items: list[dict]) -> Response:
        per_page, page = int(request.args.get("per_page", 30)), int(request.args.get("page", 1))
        return _json(200, items[(page - 1) * per_page:page * per_page])

    def _post_review(self, request: Request) -> Response:
        if not self.can_write:
            return _json(403, {"message": "Resource not accessible by integration"})
        payload = json.loads(request.data)
        self.posted.append(payload)
        review_id = len(self.posted)
        self.reviews.append({"id": review_id, "body": payload.get("body", ""), "commit_id": payload.get("commit_id")})
        for c in payload.get("comments", []):
            self.comments.append({"id": len(self.comments) + 1, "pull_request_review_id": review_id, **c})
        return _json(200, {"id": review_id, "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/"
                                                        f"{self.number}#pullrequestreview-{review_id}"})


def _json(status: int, body, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def pull_event(head_sha: str, base_sha: str, *, number: int = 7, draft: bool = False, labels=(),
               fork: bool = False, full_name: str = "acme/widgets") -> dict:
    """The parts of a pull_request event's payload the bot reads."""
    head_repo = "someone/widgets" if fork else full_name
    return {"action": "synchronize", "number": number,
            "pull_request": {"number": number, "draft": draft, "labels": [{"name": n} for n in labels],
                             "head": {"sha": head_sha, "ref": "feature", "repo": {"full_name": head_repo}},
                             "base": {"sha": base_sha, "ref": "main", "repo": {"full_name": full_name}}},
            "repository": {"full_name": full_name}}
