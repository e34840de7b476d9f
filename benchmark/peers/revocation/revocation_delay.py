#!/usr/bin/env python3
"""Time from a deactivation on one replica to the first 401 of GET /api/v1/users/me on another.

Usage: revocation_delay.py FIRST_URL SECOND_URL ADMIN_TOKEN TRIES

For each try: registers and logs in a new user on the first replica, has the second replica answer /me twice (so that
it holds the user in memory), then starts polling /me on the second replica over one kept-alive connection, sends the
admin's PUT .../status {"isActive": false} to the first, and takes the time from just before sending the PUT to the
first 401. Prints one line:
  BENCH tries=N median_ms=M max_ms=X resolution_ms=R
where the resolution is the mean time between two polls.
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid


def connect(url):
    parsed = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)


def call(connection, method, path, body=None, token=None):
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def expect(status, wanted, what):
    if status != wanted:
        sys.exit(f"revocation_delay: {what} answered {status}, not {wanted}")


def one_try(first_url, second_url, admin_token):
    first = connect(first_url)
    email = f"revocation-{uuid.uuid4().hex}@example.com"
    credentials = {"email": email, "password": "revocation-" + uuid.uuid4().hex}
    status, _ = call(first, "POST", "/api/v1/auth/register", credentials)
    expect(status, 202, "register")
    status, body = call(first, "POST", "/api/v1/auth/login", credentials)
    expect(status, 200, "login")
    token = json.loads(body)["accessToken"]
    status, body = call(first, "GET", "/api/v1/users/me", token=token)
    expect(status, 200, "me on the first replica")
    user_id = json.loads(body)["id"]

    second = connect(second_url)
    for _ in range(2):
        status, _ = call(second, "GET", "/api/v1/users/me", token=token)
        expect(status, 200, "me on the second replica")

    polls = []
    outcome = {}
    polling = threading.Event()

    def poll():
        polling.set()
        while True:
            status, _ = call(second, "GET", "/api/v1/users/me", token=token)
            now = time.perf_counter()
            polls.append(now)
            if status != 200:
                outcome["status"], outcome["at"] = status, now
                return
            if len(polls) > 200000:
                outcome["status"] = "still 200"
                return

    poller = threading.Thread(target=poll)
    poller.start()
    polling.wait()
    time.sleep(0.05)
    sent = time.perf_counter()
    status, _ = call(first, "PUT", f"/api/v1/admin/users/{user_id}/status", {"isActive": False}, admin_token)
    expect(status, 200, "the deactivation")
    poller.join(30)
    expect(outcome.get("status"), 401, "me on the second replica after the deactivation")
    intervals = [b - a for a, b in zip(polls, polls[1:])]
    return (outcome["at"] - sent) * 1000, intervals


def main():
    first_url, second_url, admin_token, tries = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    delays, intervals = [], []
    for _ in range(tries):
        delay, gaps = one_try(first_url, second_url, admin_token)
        delays.append(delay)
        intervals.extend(gaps)
    resolution = statistics.mean(intervals) * 1000 if intervals else 0.0
    print(f"BENCH tries={tries} median_ms={statistics.median(delays):.1f} max_ms={max(delays):.1f} resolution_ms={resolution:.2f}")


if __name__ == "__main__":
    main()
