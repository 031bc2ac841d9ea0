#!/usr/bin/env python3
"""Checks that a pull request's description has the template's sections.

    check-pr-template.py FILE

FILE is a GitHub event payload (JSON; the description is pull_request.body, as
at $GITHUB_EVENT_PATH) or the description itself as Markdown. Each section is a
Markdown heading (any level) with some text under it that is not just the
template's placeholder comment. Exits 1 listing what is missing.
"""
import json
import re
import sys

SECTIONS = ["Linked Issue", "Summary", "Documentation", "Testing", "Safety"]


def description(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    if isinstance(payload, dict) and isinstance(payload.get("pull_request"), dict):
        return payload["pull_request"].get("body") or ""
    sys.exit(f"{path}: JSON, but not a pull_request event payload (no pull_request member)")


def sections(text):
    """Heading text (lowercased) -> the text under it, without HTML comments."""
    found, current = {}, None
    for line in re.sub(r"<!--.*?-->", "", text, flags=re.S).splitlines():
        m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            current = m.group(1).strip().lower()
            found.setdefault(current, "")
        elif current is not None:
            found[current] += line.strip()
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    present = sections(description(sys.argv[1]))
    missing = [s for s in SECTIONS if s.lower() not in present]
    empty = [s for s in SECTIONS if s.lower() in present and not present[s.lower()]]
    if missing or empty:
        if missing:
            print("missing section(s): " + ", ".join(missing), file=sys.stderr)
        if empty:
            print("empty section(s): " + ", ".join(empty), file=sys.stderr)
        print("the pull request description needs a heading with some text for each of: " + ", ".join(SECTIONS), file=sys.stderr)
        sys.exit(1)
    print("the pull request description has " + ", ".join(SECTIONS))


if __name__ == "__main__":
    main()
