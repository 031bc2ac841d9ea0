#!/usr/bin/env python3
"""HTTP servers the tests stand in for services that cannot run here.

  fake-http.py github LOG         GitHub's pull-request, issue and release REST API (in memory;
                                  release assets stored in FAKE_RELEASES/TAG/NAME and served
                                  without a token at /download/TAG/NAME)
  fake-http.py webhook LOG        a Slack-style incoming webhook: answers FAKE_WEBHOOK_STATUSES
                                  (e.g. "429,500,200", one per request, then 200) with
                                  Retry-After: FAKE_RETRY_AFTER on 429 and 503
  fake-http.py registry LOG UPSTREAM
                                  GHCR's auth in front of a real registry:
                                  the Bearer token challenge, then a proxy
  fake-http.py redirect LOG TARGET
                                  answers every request with FAKE_REDIRECT_STATUS (default 307)
                                  and Location: TARGET + the request's path (an attacker's
                                  redirect to another host)
  fake-http.py service LOG STATE  the deployed service a smoke test asks: GET /ENV/FUNCTION
                                  answers {"status": "ok", "function", "image"} when the fake
                                  modal's STATE has FUNCTION deployed in ENV, else 404;
                                  FAKE_UNHEALTHY=N answers 503 to the first N requests

Prints the port it listens on (FAKE_BIND, default 127.0.0.1), then serves until killed. Every
request is appended to LOG as one JSON line: method, path, query,
authorization, body. Environment: FAKE_TOKEN (the GitHub token it accepts),
FAKE_USER/FAKE_PASSWORD (the registry credentials), FAKE_DENY_PUSH=1 (GHCR's
answer to a token without write:packages), FAKE_MANIFEST_ERROR=CODE (a
registry error body with that code for every manifest PUT),
FAKE_WRONG_DIGEST=1 (a manifest PUT answered with another
Docker-Content-Digest), FAKE_FORBID_PR=1 (GitHub's answer when Actions may
not open pull requests).
"""
import base64, http.client, json, os, secrets, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, LOG = sys.argv[1], sys.argv[2]
UPSTREAM = sys.argv[3] if len(sys.argv) > 3 else None   # registry: the real registry; service: the fake modal's state.json
lock = threading.Lock()
pulls = []          # github: the pull requests
issues = []         # github: the issues, each with its comments
releases = []       # github: the releases, their assets stored under FAKE_RELEASES/TAG/
statuses = [int(x) for x in os.environ.get("FAKE_WEBHOOK_STATUSES", "").split(",") if x]   # webhook: answers to come
tokens = set()      # registry: bearer tokens handed out
unhealthy = int(os.environ.get("FAKE_UNHEALTHY", "0"))   # service: 503s before it answers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, body):
        u = urllib.parse.urlsplit(self.path)
        entry = {"method": self.command, "path": u.path, "query": urllib.parse.parse_qs(u.query),
                 "authorization": self.headers.get("Authorization"), "contentType": self.headers.get("Content-Type"),
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace") if body and len(body) < 65536 else None}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, obj=None, headers=None, raw=None):
        body = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        body = self.read_body()
        self.record(body)
        {"github": self.github, "registry": self.registry, "service": self.service, "webhook": self.webhook,
         "redirect": self.redirect}[MODE](body)

    # --- a redirect to another host ---------------------------------------
    def redirect(self, body):
        self.reply(int(os.environ.get("FAKE_REDIRECT_STATUS", "307")), headers={"Location": UPSTREAM + self.path})

    do_GET = do_POST = do_PUT = do_PATCH = do_HEAD = do_DELETE = handle_any

    # --- the service behind a smoke test ---------------------------------
    def service(self, body):
        global unhealthy
        with lock:
            unhealthy -= 1
            if unhealthy >= 0:
                return self.reply(503, {"status": "starting"})
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 2:
            return self.reply(404, {"error": "GET /ENV/FUNCTION"})
        env, function = parts
        try:
            with open(UPSTREAM) as f:
                apps = json.load(f).get("apps", {}).get(env, {})
        except FileNotFoundError:
            apps = {}
        for app, functions in apps.items():
            if function in functions:
                return self.reply(200, {"status": "ok", "app": app, "function": function, "image": functions[function]["image"]})
        return self.reply(404, {"error": f"{function} is not deployed in {env}"})

    # --- an incoming webhook (Slack, Mattermost, Rocket.Chat, Discord's /slack) ---
    def webhook(self, body):
        with lock:
            status = statuses.pop(0) if statuses else 200
        headers = {"Retry-After": os.environ["FAKE_RETRY_AFTER"]} if status in (429, 503) and os.environ.get("FAKE_RETRY_AFTER") else {}
        if self.command != "POST" or self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return self.reply(400, raw=b"invalid_payload")
        return self.reply(status, raw=b"ok" if status == 200 else b"rate_limited" if status == 429 else b"server_error", headers=headers)

    # --- GitHub -----------------------------------------------------------
    def release_api(self, repo, parts, data):
        """A release by its tag (GET releases/tags/TAG), and a new one (POST releases) with its upload URL."""
        if len(parts) == 6 and parts[4] == "tags" and self.command == "GET":
            found = next((r for r in releases if r["repo"] == repo and r["tag_name"] == parts[5]), None)
            return self.reply(200, found) if found else self.reply(404, {"message": "Not Found"})
        if len(parts) == 4 and self.command == "POST":
            if any(r["repo"] == repo and r["tag_name"] == data["tag_name"] for r in releases):
                return self.reply(422, {"message": "Validation Failed", "errors": [{"code": "already_exists", "field": "tag_name"}]})
            n = len(releases) + 1
            host = self.headers.get("Host")
            release = {"id": n, "repo": repo, "tag_name": data["tag_name"], "name": data.get("name"), "assets": [],
                       "upload_url": "http://%s/uploads/repos/%s/releases/%d/assets{?name,label}" % (host, repo, n),
                       "html_url": "https://github.example/%s/releases/tag/%s" % (repo, data["tag_name"])}
            releases.append(release)
            return self.reply(201, release)
        return self.reply(404, {"message": "Not Found"})

    def issue_api(self, repo, parts, data, query):
        """The issue calls an alert makes: list, open, comment, close. Pull requests show in the list, as on GitHub."""
        number = int(parts[4]) if len(parts) > 4 else None
        found = next((i for i in issues if i["repo"] == repo and i["number"] == number), None)
        if len(parts) == 4 and self.command == "GET":
            state, labels = query.get("state", ["open"])[0], [l for l in query.get("labels", [""])[0].split(",") if l]
            page, per = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
            listed = [i for i in issues if i["repo"] == repo and (state == "all" or i["state"] == state)
                      and set(labels) <= {l["name"] for l in i["labels"]}]
            listed += [dict(p, pull_request={"url": p["html_url"]}) for p in pulls if p["repo"] == repo and not labels and p["state"] == state]
            listed.sort(key=lambda i: -i["number"])
            self.reply(200, [{k: v for k, v in i.items() if k != "comment_list"} for i in listed[(page - 1) * per:page * per]])
            return True
        if len(parts) == 4 and self.command == "POST":
            n = len(pulls) + len(issues) + 1
            issue = {"number": n, "state": "open", "repo": repo, "title": data["title"], "body": data.get("body", ""),
                     "labels": [{"name": l} for l in data.get("labels", [])], "comments": 0, "comment_list": [],
                     "html_url": "https://github.example/%s/issues/%d" % (repo, n)}
            issues.append(issue)
            self.reply(201, {k: v for k, v in issue.items() if k != "comment_list"})
            return True
        if found and len(parts) == 5 and self.command == "PATCH":
            found.update({k: v for k, v in data.items() if k in ("state", "state_reason", "title", "body")})
            self.reply(200, {k: v for k, v in found.items() if k != "comment_list"})
            return True
        if found and len(parts) == 6 and parts[5] == "comments" and self.command == "GET":
            page, per = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
            self.reply(200, found["comment_list"][(page - 1) * per:page * per])
            return True
        if found and len(parts) == 6 and parts[5] == "comments" and self.command == "POST":
            comment = {"id": 1000 + sum(len(i["comment_list"]) for i in issues), "body": data["body"],
                       "html_url": found["html_url"] + "#issuecomment"}
            found["comment_list"].append(comment)
            found["comments"] += 1
            self.reply(201, comment)
            return True
        return False

    def github(self, body):
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        # A release's assets, downloaded as a browser does (no token): /download/TAG/NAME (FAKE_RELEASES).
        if parts[0] == "download" and len(parts) == 3 and self.command == "GET":
            path = os.path.join(os.environ.get("FAKE_RELEASES", "/nonexistent"), parts[1], parts[2])
            if not os.path.isfile(path):
                return self.reply(404, raw=b"Not Found")
            with open(path, "rb") as f:
                return self.reply(200, raw=f.read(), headers={"Content-Type": "application/octet-stream"})
        if self.headers.get("Authorization") != "Bearer " + os.environ.get("FAKE_TOKEN", ""):
            return self.reply(401, {"message": "Bad credentials"})
        # uploads.github.com: POST /uploads/repos/O/R/releases/ID/assets?name=NAME stores the body as the asset.
        if parts[0] == "uploads" and len(parts) == 7 and self.command == "POST":
            with lock:
                release = next((r for r in releases if str(r["id"]) == parts[5]), None)
                if release is None:
                    return self.reply(404, {"message": "Not Found"})
                name = urllib.parse.parse_qs(u.query).get("name", [""])[0]
                folder = os.path.join(os.environ["FAKE_RELEASES"], release["tag_name"])
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(body)
                release["assets"].append({"name": name, "size": len(body)})
                return self.reply(201, {"name": name, "size": len(body)})
        if len(parts) < 4 or parts[0] != "repos":
            return self.reply(404, {"message": "Not Found"})
        repo = parts[1] + "/" + parts[2]
        data = json.loads(body) if body else {}
        with lock:
            if parts[3] == "releases":
                return self.release_api(repo, parts, data)
            if parts[3] == "issues" and not (len(parts) == 6 and parts[5] == "labels"):
                if not self.issue_api(repo, parts, data, urllib.parse.parse_qs(u.query)):
                    self.reply(404, {"message": "Not Found"})
                return
            if parts[3] == "pulls" and len(parts) == 4 and self.command == "GET":
                q = urllib.parse.parse_qs(u.query)
                head = q.get("head", [""])[0]
                found = [p for p in pulls if p["state"] == "open" and p["repo"] == repo and (not head or head == parts[1] + ":" + p["head"]["ref"])]
                return self.reply(200, found)
            if parts[3] == "pulls" and len(parts) == 4 and self.command == "POST":
                if os.environ.get("FAKE_FORBID_PR"):
                    return self.reply(403, {"message": "GitHub Actions is not permitted to create or approve pull requests."})
                if any(p["head"]["ref"] == data["head"] and p["state"] == "open" for p in pulls):
                    return self.reply(422, {"message": "Validation Failed", "errors": [{"message": "A pull request already exists for " + data["head"]}]})
                n = len(pulls) + 1
                pr = {"number": n, "state": "open", "repo": repo, "title": data["title"], "body": data.get("body", ""),
                      "head": {"ref": data["head"]}, "base": {"ref": data["base"]}, "labels": [],
                      "html_url": "https://github.example/%s/pull/%d" % (repo, n)}
                pulls.append(pr)
                return self.reply(201, pr)
            if parts[3] == "pulls" and len(parts) == 5 and self.command == "PATCH":
                for p in pulls:
                    if p["number"] == int(parts[4]):
                        p.update({k: v for k, v in data.items() if k in ("title", "body", "state")})
                        return self.reply(200, p)
            if parts[3] == "issues" and len(parts) == 6 and parts[5] == "labels" and self.command == "POST":
                for p in pulls:
                    if p["number"] == int(parts[4]):
                        p["labels"] = sorted(set(p["labels"]) | set(data["labels"]))
                        return self.reply(200, [{"name": n} for n in p["labels"]])
        return self.reply(404, {"message": "Not Found"})

    # --- GHCR-style auth in front of a registry ---------------------------
    def registry(self, body):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/token":
            want = "Basic " + base64.b64encode(("%s:%s" % (os.environ["FAKE_USER"], os.environ["FAKE_PASSWORD"])).encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
            t = "tok-" + secrets.token_hex(16)
            with lock:
                tokens.add(t)
            return self.reply(200, {"token": t})
        auth = self.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:] in tokens):
            name = u.path.split("/blobs/")[0].split("/manifests/")[0][len("/v2/"):]
            realm = "http://%s/token" % self.headers["Host"]
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                              {"WWW-Authenticate": 'Bearer realm="%s",service="fake-ghcr",scope="repository:%s:pull"' % (realm, name)})
        if os.environ.get("FAKE_DENY_PUSH") and self.command in ("POST", "PUT"):
            return self.reply(403, {"errors": [{"code": "DENIED", "message": "permission_denied: write_package"}]})
        is_manifest_put = self.command == "PUT" and "/manifests/" in u.path
        code = os.environ.get("FAKE_MANIFEST_ERROR")
        if code and is_manifest_put:
            status = {"NAME_UNKNOWN": 404, "DIGEST_INVALID": 400, "MANIFEST_BLOB_UNKNOWN": 400}.get(code, 400)
            return self.reply(status, {"errors": [{"code": code, "message": code.lower().replace("_", " "), "detail": {"Tag": "v1"}}]})
        if os.environ.get("FAKE_WRONG_DIGEST") and is_manifest_put:
            return self.reply(201, None, {"Docker-Content-Digest": "sha256:" + "e" * 64})
        c = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "transfer-encoding", "content-length")}
        headers["Content-Length"] = str(len(body))
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


server = ThreadingHTTPServer((os.environ.get("FAKE_BIND", "127.0.0.1"), 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
