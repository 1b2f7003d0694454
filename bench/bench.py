#!/usr/bin/python3
"""herald's benchmarks; run through bench/run, which builds herald and installs what is needed.

Starts a private redis-server (AOF on, appendfsync everysec) and an nginx sink answering 202 on
free loopback ports in a temporary directory, runs the benchmarks named on the command line (all
by default) and prints the figures as JSON (also written to build/bench-results/). Stops
everything it started.

  sink        the sink's own capacity (wrk, POSTs like herald's)
  throughput  herald: BENCH_EVENTS (100,000) preloaded events, exec to the last outcome
  python      bench/py_worker.py on the same data and sink
  latency     herald at a steady 1,000 events/s: XADD to the request's arrival at the sink
  startup     exec to READY=1 on NOTIFY_SOCKET, ten times
  backlog     BENCH_BACKLOG (1,000,000) events deferred to a window that opens a few minutes
              later: herald's memory, then all of them sent at BENCH_BACKLOG_RATE when it opens
"""
import argparse
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zoneinfo

import redis

STREAM, GROUP = "herald:events", "herald"
# Each channel's schedule; redis.key_prefix is "{herald}:" by default.
SCHEDULES = ("{herald}:schedule:email", "{herald}:schedule:sms")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TEMPLATE = """email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}},\\n\\nYour application {{case_ref}} has a new status: {{status}}.\\n" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}},\\n\\nMae statws newydd i'ch cais {{case_ref}}.\\n" }
sms:
  en: "Application {{case_ref}}: {{status}}. {{data.office}}"
  cy: "Cais {{case_ref}}: statws newydd. {{data.office}}"
"""

NGINX_CONF = """daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  client_body_temp_path {work}/nginx-body;
  proxy_temp_path {work}/nginx-proxy;
  fastcgi_temp_path {work}/nginx-fastcgi;
  uwsgi_temp_path {work}/nginx-uwsgi;
  scgi_temp_path {work}/nginx-scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  log_format arrival '$msec $http_idempotency_key';
  # The sink for throughput: answers 202 and logs nothing.
  server {{
    listen 127.0.0.1:{fast_port} backlog=4096;
    access_log off;
    location / {{ return 202 '{{"id":"sink"}}'; }}
    location = /sink-status {{ stub_status; }}
  }}
  # The sink for latency: the same, and logs each arrival's time with its Idempotency-Key.
  server {{
    listen 127.0.0.1:{logged_port} backlog=4096;
    access_log {work}/arrivals.log arrival;
    location / {{ return 202 '{{"id":"sink"}}'; }}
  }}
}}
"""

WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Idempotency-Key"] = "bench-1:email"
wrk.body = '{"id":"bench-1:email","channel":"email","to":"user1@example.org","subject":"Your application GWF000000001","body":"Dear Ms Mcnally,\\n\\nYour application GWF000000001 has a new status: case_update.\\n","html":"","reference":"GWF000000001","event_id":"bench-1","status":"case_update","language":"en"}'
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def event(prefix, i, anytime=False):
    channel = "email" if i % 2 == 0 else "sms"
    return json.dumps({
        "id": f"{prefix}-{i}", "case_ref": f"GWF{i:09d}", "status": "case_update",
        "occurred_at": "2026-11-23T08:00:00Z",
        "recipient": {"name": "KATIE MCNALLY", "title": "Ms", "email": f"user{i}@example.org",
                      "phone": "+447700900123", "timezone": "Europe/London", "language": "en",
                      "channels": [channel], "contact_anytime": anytime},
        "data": {"office": "London"}}, separators=(",", ":"))


def machine():
    """What the figures were measured on."""
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), None)
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cores": os.cpu_count(), "cpu": model, "ram_gib": round(mem / 2**20, 1),
            "load_average_at_start": os.getloadavg(),
            "kernel": os.uname().release,
            "redis": first_line(["redis-server", "--version"]),
            "nginx": first_line(["nginx", "-v"]), "wrk": first_line(["wrk", "-v"]),
            "python": sys.version.split()[0],
            "herald": first_line([ARGS_HERALD[0], "version"]) if ARGS_HERALD else None}


ARGS_HERALD = []


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="herald-bench-")
        self.procs = []
        self.results = {"machine": machine()}

    # --- services -------------------------------------------------------------------------
    def start_redis(self):
        self.redis_port = free_port()
        p = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir",
             self.work, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--logfile", f"{self.work}/redis.log"])
        self.procs.append(p)
        self.redis_proc = p
        self.redis = redis.Redis(port=self.redis_port)
        for _ in range(200):
            try:
                self.redis.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def start_nginx(self):
        self.sink_port, self.logged_port = free_port(), free_port()
        conf = f"{self.work}/nginx.conf"
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(work=self.work, fast_port=self.sink_port,
                                      logged_port=self.logged_port))
        p = subprocess.Popen(["nginx", "-e", f"{self.work}/nginx-error.log", "-p", self.work,
                              "-c", conf])
        self.procs.append(p)
        self.nginx_proc = p
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.sink_port), 0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nginx did not start")

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    # --- herald ---------------------------------------------------------------------------
    def herald_config(self, name, sink_port, window=("00:00", "24:00"), log_level="warn",
                      rate_per_second=None, sms_rate_per_second=None):
        # As production would have them: both webhooks share the name "webhook", hence one
        # token bucket (rate_per_second, a second's worth of burst) and one circuit breaker
        # (five transient failures in a row open it for 30 s). With sms_rate_per_second, each
        # channel's webhook has a name, a bucket and a breaker of its own, as two providers would.
        def protect(rate):
            return (f", rate_per_second: {rate}, "
                    "circuit_breaker: { failures: 5, cool_down_ms: 30000 }") if rate else ""
        email_protect = protect(rate_per_second)
        sms_protect = protect(rate_per_second)
        if sms_rate_per_second:
            email_protect = ", name: mail" + email_protect
            sms_protect = ", name: texts" + protect(sms_rate_per_second)
        home = f"{self.work}/{name}"
        os.makedirs(f"{home}/templates", exist_ok=True)
        with open(f"{home}/templates/case_update.yaml", "w") as f:
            f.write(TEMPLATE)
        with open(f"{home}/herald.yaml", "w") as f:
            f.write(f"""redis:
  url: redis://127.0.0.1:{self.redis_port}/0
  consumer: bench
  batch_size: {self.args.batch}
contact:
  timezone: Europe/London
  window: {{ start: "{window[0]}", end: "{window[1]}" }}
templates:
  dir: templates
rules:
  - {{ status: case_update, template: case_update, channels: [email, sms] }}
gateways:
  email: {{ type: webhook, url: "http://127.0.0.1:{sink_port}/email", max_in_flight: {self.args.gateway_in_flight}{email_protect} }}
  sms: {{ type: webhook, url: "http://127.0.0.1:{sink_port}/sms", max_in_flight: {self.args.gateway_in_flight}{sms_protect} }}
limits:
  max_in_flight: {self.args.in_flight}
log:
  level: {log_level}
""")
        return f"{home}/herald.yaml"

    def start_herald(self, config, log_name):
        """Starts herald with a NOTIFY_SOCKET; returns (process, seconds from exec to READY,
        time.monotonic() at exec)."""
        path = f"{self.work}/notify-{time.monotonic_ns()}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        log = open(f"{self.work}/{log_name}", "ab")
        t0 = time.monotonic()
        p = subprocess.Popen([self.args.herald, "run", "--config", config], env=env,
                             stdout=log, stderr=log)
        while True:
            message = sock.recv(4096)
            if b"READY=1" in message.split(b"\n"):
                ready = time.monotonic() - t0
                break
        sock.close()
        os.unlink(path)
        self.procs.append(p)
        return p, ready, t0

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        p.wait(30)

    # --- data -----------------------------------------------------------------------------
    def reset(self):
        self.redis.flushall()
        self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)

    def preload(self, prefix, n, anytime=False):
        pipe = self.redis.pipeline(transaction=False)
        for i in range(n):
            pipe.xadd(STREAM, {"event": event(prefix, i, anytime)})
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()

    def group_state(self):
        for g in self.redis.execute_command("XINFO", "GROUPS", STREAM):
            info = dict(zip(g[::2], g[1::2]))
            if info[b"name"] == GROUP.encode():
                return int(info[b"entries-read"] or 0), int(info[b"pending"])
        return 0, 0

    def wait_drained(self, n, outcomes=None, timeout=600, sample=None, schedule_empty=True):
        """Waits until herald has finished with n events: all read and acknowledged, an outcome
        for each (herald acknowledges an entry as soon as its notifications are recorded, before
        they are sent; `sent` is published after the gateway's 2xx), and no notification left
        leased in the schedule. Returns time.monotonic() then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            read, pending = self.group_state()
            if read >= n and pending == 0:
                pipe = self.redis.pipeline(transaction=False)
                pipe.xlen("herald:outcomes")
                for key in SCHEDULES:
                    pipe.zcard(key)
                written, *per_channel = pipe.execute()
                scheduled = sum(per_channel)
                if written >= (n if outcomes is None else outcomes) and (
                        scheduled == 0 or not schedule_empty):
                    return time.monotonic()
            if sample:
                sample()
            time.sleep(0.01)
        raise RuntimeError(f"not drained: {self.group_state()}")

    # --- benchmarks -----------------------------------------------------------------------
    def bench_sink(self):
        lua = f"{self.work}/post.lua"
        with open(lua, "w") as f:
            f.write(WRK_LUA)
        out = subprocess.run(["wrk", "-t1", "-c128", "-d10s", "-s", lua,
                              f"http://127.0.0.1:{self.sink_port}/email"],
                             capture_output=True, text=True, check=True).stdout
        rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
        self.results["sink"] = {"tool": "wrk -t1 -c128 -d10s, POST of a herald-sized body",
                                "requests_per_second": rps}

    def sink_requests(self):
        """Requests the fast sink has answered so far (nginx stub_status; the status request
        itself included)."""
        return self.sink_status()[1]

    def sink_status(self):
        """(connections accepted, requests answered) by the fast sink, from stub_status."""
        with socket.create_connection(("127.0.0.1", self.sink_port)) as s:
            s.sendall(b"GET /sink-status HTTP/1.0\r\nHost: sink\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        body = data.split(b"\r\n\r\n", 1)[1].decode().splitlines()
        accepts, _, requests = body[2].split()
        return int(accepts), int(requests)

    def outcome_results(self):
        counts = {}
        last = "-"
        while True:
            chunk = self.redis.xrange("herald:outcomes", min=f"({last}" if last != "-" else "-",
                                      count=10000)
            if not chunk:
                return counts
            for entry_id, fields in chunk:
                r = json.loads(fields[b"outcome"])["result"]
                counts[r] = counts.get(r, 0) + 1
            last = chunk[-1][0].decode()

    def bench_throughput(self):
        n = self.args.events
        self.reset()
        self.preload("tp", n, anytime=False)
        config = self.herald_config("throughput", self.sink_port, rate_per_second=self.args.rate)
        (connections0, requests0), cpu0 = self.sink_status(), self.service_cpu()
        self.redis.config_resetstat()
        p, ready, t0 = self.start_herald(config, "herald-throughput.log")
        perf = None
        if self.args.profile:
            graph = ["--call-graph", "dwarf,32768"] if self.args.profile == "graph" else []
            perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", *graph,
                                     "-o", f"{self.work}/perf.data", "-p", str(p.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t1 = self.wait_drained(n)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        user, system = self.cpu_split(p.pid)
        cpu = round(user + system, 2)
        services = self.cpu_used(cpu0, self.service_cpu())
        connections, requests = self.sink_status()
        # herald's alone: the status request just made is counted in both
        connections, requests = connections - connections0 - 1, requests - requests0 - 1
        commands = self.redis_commands(n)
        self.stop(p)
        results = self.outcome_results()
        self.results["herald_throughput"] = {
            "events": n, "outcomes": results, "sink_requests": requests,
            "sink_connections": connections, "gateway_in_flight": self.args.gateway_in_flight,
            "seconds": round(t1 - t0, 3), "events_per_second": round(n / (t1 - t0), 1),
            "ready_ms": round(ready * 1000, 1),
            "cpu_seconds": dict(herald=cpu, **services),
            # The kernel's share (system calls: loopback TCP to Redis and the sink, epoll).
            "system_share_of_cpu": round(system / cpu, 2) if cpu else None,
            "gateway_rate_per_second": self.args.rate,
            "redis_commands_per_event": commands,
            "measured": "exec of herald until every event is read and acknowledged, has its "
                        "outcome, and nothing is left in the schedule; polled every 10 ms"}
        if results != {"sent": n} or requests != n:
            raise RuntimeError(f"for {n} events: outcomes {results}, {requests} requests")
        if perf:
            report = subprocess.run(
                ["perf", "report", "-i", f"{self.work}/perf.data", "--no-children", "--stdio",
                 "--sort", "dso,symbol", "--percent-limit", "0.5"],
                capture_output=True, text=True).stdout
            by_dso = subprocess.run(
                ["perf", "report", "-i", f"{self.work}/perf.data", "--no-children", "--stdio",
                 "--sort", "dso"], capture_output=True, text=True).stdout
            os.makedirs(self.args.out, exist_ok=True)
            with open(f"{self.args.out}/profile.txt", "w") as f:
                f.write(by_dso + "\n" + report)
            self.results["herald_throughput"]["profile"] = f"{self.args.out}/profile.txt"

    def redis_commands(self, n):
        """Redis's own account of the run (INFO commandstats since CONFIG RESETSTAT): calls per
        event and microseconds per call of each command, including those run inside scripts.
        The bench's own polling (XINFO, XLEN, ZCARD, PING) is left out."""
        polling = {"xinfo", "xlen", "zcard", "ping", "info", "config", "pipeline"}
        out = {}
        for name, stats in self.redis.info("commandstats").items():
            command = name.removeprefix("cmdstat_")
            if command in polling:
                continue
            out[command] = {"per_event": round(stats["calls"] / n, 4),
                            "usec_per_call": stats["usec_per_call"]}
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["per_event"]))

    @staticmethod
    def cpu_split(pid):
        """(user, system) CPU seconds used so far by `pid`."""
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / ticks, int(fields[12]) / ticks

    @classmethod
    def cpu_seconds(cls, pid):
        return round(sum(cls.cpu_split(pid)), 2)

    def service_cpu(self):
        """CPU seconds used so far by redis-server and nginx (master and workers)."""
        pids = {"redis": [self.redis_proc.pid], "nginx": [self.nginx_proc.pid]}
        with open(f"/proc/{self.nginx_proc.pid}/task/{self.nginx_proc.pid}/children") as f:
            pids["nginx"] += [int(c) for c in f.read().split()]
        return {k: sum(self.cpu_seconds(p) for p in v) for k, v in pids.items()}

    @staticmethod
    def cpu_used(before, after):
        return {k: round(after[k] - before[k], 2) for k in before}

    def bench_python(self):
        n = self.args.events
        self.reset()
        self.preload("py", n, anytime=False)
        requests0, cpu0 = self.sink_requests(), self.service_cpu()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        worker = subprocess.Popen(
            [sys.executable, f"{ROOT}/bench/py_worker.py", "--redis",
             f"redis://127.0.0.1:{self.redis_port}/0",
             "--email", f"http://127.0.0.1:{self.sink_port}/email",
             "--sms", f"http://127.0.0.1:{self.sink_port}/sms", "--expect", str(n),
             # As many requests at once as herald may have: two gateways' max_in_flight
             "--concurrency", str(2 * self.args.gateway_in_flight),
             # herald's window in this run is open all day (herald_config's default): the same
             "--window-start", "0", "--window-end", "24"],
            stdout=subprocess.PIPE, text=True)
        out, _ = worker.communicate()
        wall = time.monotonic() - t0
        services = self.cpu_used(cpu0, self.service_cpu())
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_system = children.ru_stime - children0.ru_stime
        services["python_worker"] = round(children.ru_utime - children0.ru_utime + worker_system,
                                          2)
        requests = self.sink_requests() - requests0 - 1
        if worker.returncode != 0:
            raise RuntimeError("py_worker.py failed")
        own = json.loads(out.strip().splitlines()[-1])
        sent = self.outcome_results().get("sent", 0)
        self.results["python_worker"] = dict(
            own, wall_seconds_with_start=round(wall, 3), sink_requests=requests, sent=sent,
            cpu_seconds=services,
            system_share_of_cpu=round(worker_system / services["python_worker"], 2)
            if services["python_worker"] else None,
            measured="py_worker.py's own clock: first XREADGROUP reply to the last XACK")
        if requests != n or sent != n:
            raise RuntimeError(f"python worker: {requests} requests, {sent} sent for {n}")

    def bench_latency(self):
        # One second of warm-up first (connections to the sink opened, scripts loaded), reported
        # apart: the figure is for the steady state after it.
        rate, seconds, warmup = 1000, self.args.latency_seconds, 1
        n = rate * (seconds + warmup)
        self.reset()
        config = self.herald_config("latency", self.logged_port)
        open(f"{self.work}/arrivals.log", "w").close()
        # Redis's own account of its slow moments (a command, an AOF write or fsync, a fork)
        # during the run, to tell a tail Redis caused from one it did not.
        self.redis.config_set("latency-monitor-threshold", 2)
        self.redis.execute_command("LATENCY", "RESET")
        rewrites = self.redis.info("persistence")["aof_rewrites"]
        p, _, _ = self.start_herald(config, "herald-latency.log")
        written = {}
        start = time.time()
        for i in range(n):
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            t = time.time()
            self.redis.xadd(STREAM, {"event": event("lat", i, anytime=False)})
            written[f"lat-{i}"] = t
        self.wait_drained(n)
        self.stop(p)
        redis_slow = {e[0].decode(): {"times": None, "latest_ms": e[2], "max_ms": e[3]}
                      for e in self.redis.execute_command("LATENCY", "LATEST")}
        for name in redis_slow:
            redis_slow[name]["times"] = len(self.redis.execute_command("LATENCY", "HISTORY", name))
        rewrites = self.redis.info("persistence")["aof_rewrites"] - rewrites
        time.sleep(0.5)
        latencies, warm = [], []
        with open(f"{self.work}/arrivals.log") as f, open(f"{self.work}/latencies.tsv", "w") as out:
            for line in f:
                msec, key = line.split()
                event_id = key.rsplit(":", 1)[0]
                if event_id in written:
                    ms = (float(msec) - written[event_id]) * 1000
                    (warm if int(event_id.split("-")[1]) < rate * warmup else latencies).append(ms)
                    out.write(f"{written[event_id]:.6f}\t{ms:.3f}\n")
        latencies.sort()
        if len(latencies) + len(warm) != n:
            raise RuntimeError(f"latency: {len(latencies) + len(warm)} arrivals for {n} events")
        q = statistics.quantiles(latencies, n=100)
        q_all = statistics.quantiles(latencies + warm, n=100)
        self.results["latency"] = {
            "rate_per_second": rate, "events": n - len(warm), "arrivals": len(latencies),
            "p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2),
            "max_ms": round(latencies[-1], 2),
            "warmup": {"events": len(warm), "max_ms": round(max(warm), 2),
                       "p99_ms_with_warmup": round(q_all[98], 2)},
            "redis_slow_events": redis_slow, "redis_aof_rewrites": rewrites,
            "measured": "time.time() before XADD to nginx's $msec when the request was logged, "
                        "matched by Idempotency-Key; $msec is truncated to the millisecond, so "
                        "each latency reads up to 1 ms low (p50 can even read negative)"}

    def bench_startup(self):
        self.reset()
        config = self.herald_config("startup", self.sink_port)
        times = []
        for _ in range(10):
            p, ready, _ = self.start_herald(config, "herald-startup.log")
            times.append(ready * 1000)
            self.stop(p)
        self.results["startup"] = {"runs": len(times), "median_ms": round(statistics.median(times), 1),
                                   "max_ms": round(max(times), 1),
                                   "measured": "exec to READY=1 on NOTIFY_SOCKET"}

    def bench_backlog(self):
        """1,000,000 events for recipients outside their contact window, then the window opens.

        The window is real, not a clock trick: herald's contact window is set to open at the
        first whole minute (London time) at least --backlog-lead seconds after herald starts,
        so every notification is deferred to it; then they fall due together and go out
        through gateways rate-limited to --backlog-rate requests/s (the SMS gateway, with
        --backlog-sms-rate, to that rate, and then each channel's rate is reported on its own).
        Checked: every one deferred
        before the window opened, every one sent once (sink log, by Idempotency-Key), none
        before the window opened, and the rate they went out at."""
        n, rate, sms_rate = self.args.backlog, self.args.backlog_rate, self.args.backlog_sms_rate
        self.reset()
        t0 = time.monotonic()
        self.preload("bl", n, anytime=False)
        preload_s = time.monotonic() - t0

        london = zoneinfo.ZoneInfo("Europe/London")
        now = datetime.datetime.now(london)
        opens = (now + datetime.timedelta(seconds=self.args.backlog_lead)).replace(
            second=0, microsecond=0) + datetime.timedelta(minutes=1)
        if opens.date() != now.date():
            raise RuntimeError("the window would open after midnight in London: run later")
        closes = opens + datetime.timedelta(hours=2)
        window = (opens.strftime("%H:%M"),
                  closes.strftime("%H:%M") if closes.date() == opens.date() else "24:00")
        open(f"{self.work}/arrivals.log", "w").close()
        config = self.herald_config("backlog", self.logged_port, window=window,
                                    rate_per_second=rate, sms_rate_per_second=sms_rate)
        p, _, t_exec = self.start_herald(config, "herald-backlog.log")
        peak = [0]

        def sample():
            peak[0] = max(peak[0], self.rss_kib(p.pid))

        # Phase 1: everything deferred.
        t_deferred = self.wait_drained(n, timeout=3600, sample=sample, schedule_empty=False)
        deferred_at = time.time()
        rss_deferred, hwm_deferred = self.rss_kib(p.pid), self.hwm_kib(p.pid)
        scheduled = sum(self.redis.zcard(key) for key in SCHEDULES)
        redis_mem = self.redis.info("memory")["used_memory"]
        if deferred_at >= opens.timestamp():
            raise RuntimeError("the window opened before every event was deferred: raise "
                               "--backlog-lead")
        # Phase 2: the window opens; all of them are due at once.
        timeout = opens.timestamp() - time.time() + n / min(rate, sms_rate or rate) * 2 + 300
        self.wait_drained(n, outcomes=2 * n, timeout=timeout, sample=sample)
        sent_at = time.time()
        rss_end, hwm = self.rss_kib(p.pid), self.hwm_kib(p.pid)
        self.stop(p)
        time.sleep(0.5)
        results = self.outcome_results()

        keys, early, per_second = set(), 0, {}
        arrivals = 0
        channels = {}  # channel: [arrivals, first, last]
        with open(f"{self.work}/arrivals.log") as f:
            for line in f:
                msec, key = line.split()
                t = float(msec)
                arrivals += 1
                c = channels.setdefault(key.rsplit(":", 1)[-1], [0, t, t])
                c[0], c[1], c[2] = c[0] + 1, min(c[1], t), max(c[2], t)
                keys.add(key)
                early += t < opens.timestamp()
                per_second[int(t)] = per_second.get(int(t), 0) + 1
        first, last = min(per_second), max(per_second)
        full_seconds = [per_second.get(s, 0) for s in range(first + 1, last)]
        self.results["backlog"] = {
            "events": n, "preload_seconds": round(preload_s, 1),
            "phase1_defer": {
                "seconds": round(t_deferred - t_exec, 1),
                "events_per_second": round(n / (t_deferred - t_exec), 1),
                "scheduled_in_redis": scheduled,
                "herald_rss_mib": round(rss_deferred / 1024, 1),
                "herald_vmhwm_mib": round(hwm_deferred / 1024, 1),
                "redis_used_memory_mib": round(redis_mem / 2**20, 1),
                "seconds_to_spare_before_window": round(opens.timestamp() - deferred_at, 1)},
            "phase2_send": {
                "window_london": window,
                "configured_rate_per_second": rate,
                "outcomes": results,
                "sink_arrivals": arrivals, "distinct_notifications": len(keys),
                "arrived_before_window": early,
                "seconds_window_start_to_last": round(last + 1 - opens.timestamp(), 1),
                "mean_rate_per_second": round(arrivals / max(1, last + 1 - first), 1),
                "full_seconds_rate_median": statistics.median(full_seconds) if full_seconds else None,
                "full_seconds_rate_max": max(full_seconds) if full_seconds else None,
                "seconds_window_start_to_all_recorded": round(sent_at - opens.timestamp(), 1),
                "by_channel": {
                    channel: {
                        "configured_rate_per_second": sms_rate if channel == "sms" and sms_rate
                        else rate,
                        "arrivals": count,
                        "seconds_window_start_to_last": round(last_t - opens.timestamp(), 1),
                        "mean_rate_per_second": round(count / max(0.001, last_t - first_t), 1)}
                    for channel, (count, first_t, last_t) in sorted(channels.items())}},
            "herald_rss_mib_end": round(rss_end / 1024, 1),
            "herald_rss_mib_peak_sampled": round(peak[0] / 1024, 1),
            "herald_vmhwm_mib": round(hwm / 1024, 1),
            "measured": "VmHWM from /proc (the peak resident set over the whole run), RSS "
                        "sampled every 10 ms; arrivals from the sink's access log ($msec, "
                        "Idempotency-Key)"}
        if results != {"deferred": n, "sent": n} or len(keys) != n or arrivals != n or early:
            raise RuntimeError(f"backlog: outcomes {results}, {arrivals} arrivals, "
                               f"{len(keys)} distinct, {early} before the window")

    @staticmethod
    def rss_kib(pid):
        return Bench.status_kib(pid, "VmRSS")

    @staticmethod
    def hwm_kib(pid):
        return Bench.status_kib(pid, "VmHWM")

    @staticmethod
    def status_kib(pid, key):
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--herald", required=True)
    parser.add_argument("benchmarks", nargs="*",
                        default=["sink", "throughput", "python", "latency", "startup", "backlog"])
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 100000)))
    parser.add_argument("--backlog", type=int,
                        default=int(os.environ.get("BENCH_BACKLOG", 1000000)))
    parser.add_argument("--backlog-rate", type=int,
                        default=int(os.environ.get("BENCH_BACKLOG_RATE", 2000)),
                        help="the gateways' rate limit when the backlog falls due (requests/s)")
    parser.add_argument("--backlog-sms-rate", type=int,
                        default=int(os.environ.get("BENCH_BACKLOG_SMS_RATE", 0)) or None,
                        help="the SMS gateway's own rate limit in the backlog run (requests/s; "
                             "default: one limit shared by both channels, --backlog-rate)")
    parser.add_argument("--backlog-lead", type=int,
                        default=int(os.environ.get("BENCH_BACKLOG_LEAD", 0)) or None,
                        help="seconds from herald's start to the window opening (default: "
                             "enough to defer the backlog at 1,500 events/s, plus a minute)")
    parser.add_argument("--latency-seconds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--in-flight", type=int, default=512,
                        help="limits.max_in_flight, per channel (1,024 in all, as in the runs "
                             "before herald 0.2.0, when it was one limit for both)")
    parser.add_argument("--gateway-in-flight", type=int,
                        default=int(os.environ.get("BENCH_GATEWAY_IN_FLIGHT", 64)),
                        help="each gateway's max_in_flight (requests, hence connections, at once; herald's default)")
    parser.add_argument("--rate", type=int, default=int(os.environ.get("BENCH_RATE", 100000)),
                        help="the gateways' rate limit in the throughput run (requests/s)")
    parser.add_argument("--profile", nargs="?", const="flat",
                        default={"1": "flat", "graph": "graph"}.get(os.environ.get("BENCH_PROFILE")),
                        help="perf profile of herald in the throughput run: flat, or graph "
                             "(DWARF call graphs: slower, for finding callers)")
    parser.add_argument("--out", default=f"{ROOT}/build/bench-results")
    args = parser.parse_args()
    ARGS_HERALD.append(args.herald)
    if args.backlog_lead is None:
        args.backlog_lead = args.backlog // 1500 + 60
    bench = Bench(args)
    failed = None
    try:
        bench.start_redis()
        bench.start_nginx()
        for name in args.benchmarks:
            print(f"== {name}", file=sys.stderr, flush=True)
            key = {"throughput": "herald_throughput", "python": "python_worker"}.get(name, name)
            try:
                getattr(bench, f"bench_{name}")()
            except Exception as e:  # recorded, and the other benchmarks still run
                failed = e
                bench.results.setdefault(key, {})["failed"] = str(e)
            print(json.dumps(bench.results.get(key), indent=None), file=sys.stderr, flush=True)
    finally:
        bench.stop_all()
        # Redis' append-only file of a 1,000,000-event run is gigabytes; the logs stay.
        shutil.rmtree(f"{bench.work}/appendonlydir", ignore_errors=True)
    if all(k in bench.results and "failed" not in bench.results[k]
           for k in ("herald_throughput", "python_worker")):
        h = bench.results["herald_throughput"]["events_per_second"]
        py = bench.results["python_worker"]["events_per_second"]
        bench.results["herald_vs_python"] = round(h / py, 1)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(f"{args.out}/results-{stamp}.json", "w") as f:
        json.dump(bench.results, f, indent=2)
    print(json.dumps(bench.results, indent=2))
    print(f"(work directory with logs: {bench.work})", file=sys.stderr)
    if failed:
        sys.exit(f"failed: {failed}")

if __name__ == "__main__":
    main()
