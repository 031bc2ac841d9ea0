"""text/wordcount@1: counts the words of a text (no secrets)."""
import json
import sys

payload = json.load(sys.stdin)
print(json.dumps({"words": len(payload.get("text", "").split())}))
