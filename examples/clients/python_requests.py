#!/usr/bin/env python3
"""AIGate from Python with requests: who am I, search the library, get an
image (library first), generate a video and poll its job, and the errors a
client must handle: 402 (no credits), 403 (not in your tier) and 429 (slow
down: wait Retry-After seconds, then send the same request again).

    AIGATE_API_KEY=sk-aigate-... [AIGATE_BASE_URL=http://127.0.0.1:8080] python3 python_requests.py
"""
import os
import sys
import time
import uuid

import requests

BASE = os.environ.get("AIGATE_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
KEY = os.environ.get("AIGATE_API_KEY") or sys.exit("set AIGATE_API_KEY to your sk-aigate-... key")

session = requests.Session()
session.headers["Authorization"] = f"Bearer {KEY}"


def api(method, path, body=None, idempotency_key=None):
    """Sends one request; returns (status, JSON body). A 429 is waited out."""
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    for _ in range(5):
        r = session.request(method, BASE + path, json=body, headers=headers, timeout=120)
        if r.status_code != 429:
            return r.status_code, r.json()
        wait = int(r.headers.get("Retry-After", "1"))
        print(f"429: retried after {wait} s", flush=True)
        time.sleep(wait)
    return r.status_code, r.json()


def fail(status, body):
    sys.exit(f"error: {status} {body.get('error')}: {body.get('message')}")


def handled(what, status, body):
    """A 402 or 403 is part of the flow; anything else is a failure."""
    if status == 402:
        print(f"{what}: 402 insufficient_credits handled (needs {body['credits_needed']}, "
              f"have {body['credits_balance']}; {body['hint']})")
    elif status == 403:
        print(f"{what}: 403 {body['error']} handled (needs the {body['required_tier']} tier)")
    else:
        fail(status, body)


def main():
    status, me = api("GET", "/api/v1/me")
    if status != 200:
        fail(status, me)
    print(f"me: {me['email']} tier={me['tier']} balance={me['credits_balance']}")

    status, found = api("GET", "/api/v1/search?q=sunset&type=image&limit=5")
    if status != 200:
        fail(status, found)
    first = f" (first: {found['items'][0]['title']})" if found["items"] else ""
    print(f"search: {found['total']} results for \"sunset\"{first}")

    # One Idempotency-Key per generation: a retry can never charge twice.
    status, image = api("POST", "/api/v1/generate/image",
                        {"prompt": "golden sunset over the ocean", "aspect_ratio": "16:9"},
                        str(uuid.uuid4()))
    if status == 200:
        print(f"image: {image['asset']['url']} (source={image['source']}, "
              f"charged={image['credits_charged']})")
    else:
        handled("image", status, image)

    status, video = api("POST", "/api/v1/generate/video",
                        {"prompt": "a paper boat drifting down a rainy street",
                         "aspect_ratio": "16:9"},
                        str(uuid.uuid4()))
    if status == 200:
        print(f"video: {video['asset']['url']} (source={video['source']}, "
              f"charged={video['credits_charged']})")
    elif status == 202:
        job = video["job"]
        print(f"video: job {job['id']} {job['status']}, polling")
        for _ in range(300):
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(1)
            status, polled = api("GET", f"/api/v1/jobs/{job['id']}")
            if status != 200:
                fail(status, polled)
            job = polled["job"]
        if job["status"] == "succeeded":
            print(f"video: job {job['id']} succeeded: {job['asset']['url']}")
        else:
            reason = (job.get("error") or {}).get("message", "no result")
            print(f"video: job {job['id']} {job['status']}: {reason}")
    else:
        handled("video", status, video)

    status, me = api("GET", "/api/v1/me")
    if status != 200:
        fail(status, me)
    print(f"done: balance={me['credits_balance']}")


if __name__ == "__main__":
    main()
