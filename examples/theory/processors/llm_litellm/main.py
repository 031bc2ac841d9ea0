"""llm/litellm@1: answers chat messages through a LiteLLM endpoint (OPENAI_API_KEY, LITELLM_API_BASE)."""
import json
import os
import sys
import urllib.request

payload = json.load(sys.stdin)
request = urllib.request.Request(
    os.environ["LITELLM_API_BASE"].rstrip("/") + "/chat/completions",
    data=json.dumps({"model": payload.get("model", "openai/gpt-4o-mini"), "messages": payload["messages"]}).encode(),
    headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=60) as answer:
    print(json.dumps({"text": json.load(answer)["choices"][0]["message"]["content"]}))
