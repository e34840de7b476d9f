#!/usr/bin/env bash
# Benchmarks the generated API (the default variant, every feature on) against its own ceiling and against peers,
# side by side in one run on this machine. The API is what ships: published by the build stage's own commands of its
# generated Dockerfile (for this machine's architecture, so ReadyToRun as in the image), run with the image's
# environment and configured as production runs it (signing key from a file, SMTP settings, the first admin).
#   - the ceiling: GET /health/live of the same app;
#   - GET /api/v1/users/me, POST /api/v1/auth/refresh, and POST /api/v1/auth/login at the default BCrypt cost beside
#     one BCrypt verification alone, with an RS256 key (the default) and again with an ES256 key;
#   - refresh's two bounds: its statement alone in PostgreSQL (pgbench), and signing alone (the JWT library the API
#     ships, the run's key, a real access token's payload) on one core and on every core;
#   - logins with two-factor sign-in, one request at a time: the password step (403 with an mfaToken), the second
#     step (an authenticator code) and both, against the password login of the same run;
#   - POST /api/v1/auth/register with a new address each time, and the common-password check alone (its load time,
#     memory and time per lookup, from the published API's own assembly);
#   - /me with Npgsql multiplexing (off by default), and /me and refresh with OpenTelemetry exporting to a local OTLP sink;
#   - two replicas of the API on one database: /me across both, and how long a deactivation on one takes to be
#     refused on the other;
#   - the peer: Microsoft's Identity API endpoints (MapIdentityApi, bearer tokens) on the same PostgreSQL, GET /manage/info;
#   - beside a plain `dotnet new webapi` app (published with the same command-line properties, its own project
#     settings): cold start-up (the "Application started" log line, the first 200 of /health/live and of
#     /health/ready), and memory under the same load (peak, then resident after 5 s idle), each from a fresh process;
#   - a soak mixing login, me and refresh, with the count of each status.
# Prints a table of figures and ratios against the targets, writes it to benchmark/results/latest.md, and puts it
# in the README between the benchmark markers.
#
# Usage: benchmark/run.sh
# Needs: the .NET SDK, wrk, curl, jq, openssl, python3 (the OTLP sink), PostgreSQL server binaries
#   (Debian: apt-get install -y wrk curl jq openssl python3 postgresql).
# Settings (environment): BENCHMARK_DURATION (seconds per measurement, 10), BENCHMARK_WARM_UP (seconds of the same
#   load before each measurement, 15: the JIT needs that long under load to settle), BENCHMARK_SOAK (seconds, 60),
#   BENCHMARK_CONNECTIONS (32), BENCHMARK_TWO_FACTOR_ACCOUNTS (accounts with two-factor sign-in seeded for the
#   two-factor logins, 60: each takes about 1.5 s to seed at cost 12 and yields about three codes plus one per 30 s),
#   BENCHMARK_WORK (scratch directory, /tmp/authtemplate-benchmark),
#   BENCHMARK_BASE_PORT (18480, below the range the kernel hands out to outgoing connections; the run uses it and
#   the six ports after it: PostgreSQL, the API, the two peers, the API's SMTP server (kept closed: no email goes
#   out), an OTLP sink for the run with telemetry on, and the API's second replica).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench="$repo/benchmark"
work=${BENCHMARK_WORK:-/tmp/authtemplate-benchmark}
duration=${BENCHMARK_DURATION:-10}
soak=${BENCHMARK_SOAK:-60}
connections=${BENCHMARK_CONNECTIONS:-32}
base_port=${BENCHMARK_BASE_PORT:-18480}
warm_up=${BENCHMARK_WARM_UP:-15}
two_factor_accounts=${BENCHMARK_TWO_FACTOR_ACCOUNTS:-60}
wrk_threads=2
startups=5

pg_port=$base_port
api_port=$((base_port + 1))
identity_port=$((base_port + 2))
plain_port=$((base_port + 3))
smtp_port=$((base_port + 4))
otlp_port=$((base_port + 5))
replica_port=$((base_port + 6))

logs="$work/logs"
pids=()

fail() {
  echo "benchmark: $*" >&2
  exit 1
}

step() {
  printf '\n== %s\n' "$*" >&2
}

for setting in duration warm_up soak connections base_port two_factor_accounts; do
  [[ ${!setting} =~ ^[1-9][0-9]*$ ]] || fail "BENCHMARK_${setting^^} must be a positive whole number, not '${!setting}'."
done
((connections >= 8)) || fail "BENCHMARK_CONNECTIONS must be at least 8: the soak splits them among login, me and refresh."
for tool in dotnet wrk curl jq openssl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (Debian: apt-get install -y wrk curl jq openssl; .NET SDK: see global.json)."
done
for port in "$pg_port" "$api_port" "$identity_port" "$plain_port" "$smtp_port" "$otlp_port" "$replica_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use; set BENCHMARK_BASE_PORT to the first of seven free ports."
  fi
done
# The scratch directory is emptied at the start of every run: refuse one that this script did not make.
if [ -e "$work" ] && [ ! -e "$work/.authtemplate-benchmark" ] && [ -n "$(ls -A "$work" 2>/dev/null)" ]; then
  fail "BENCHMARK_WORK=$work is not empty and was not made by this script; name a new or empty directory."
fi

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  # Start-up measurements run in subshells: stop whatever they may have left behind.
  pkill -f "$work/publish/" 2>/dev/null || true
  wait 2>/dev/null || true
  "$repo/scripts/throwaway-postgres.sh" stop "$work/postgres" || true
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$logs"
touch "$work/.authtemplate-benchmark"

# --- Build everything in Release -----------------------------------------------------------------------------------

# Runs a step with its output in logs/NAME.log, shown only when it fails. (Never echoes the command: its
# environment may hold the run's database password and signing key.)
quiet() {
  local log="$logs/$1.log"
  shift
  "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; fail "step '$(basename "$log" .log)' failed; its whole output is in $log"; }
}

# Runs a published app from its own directory, its content root, where it finds its appsettings.json.
in_dir() {
  local dir=$1
  shift
  (cd "$dir" && exec "$@")
}

step "Packing the template and generating the default variant"
quiet pack dotnet pack "$repo/AuthTemplate.csproj" -o "$work/package" -tl:off -nologo
quiet install dotnet new install "$(ls "$work"/package/*.nupkg)" --debug:custom-hive "$work/hive"
quiet generate dotnet new authapi -n Contoso.Orders -o "$work/api" --skip-restore --debug:custom-hive "$work/hive" --no-update-check

package_version() {
  sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$work/api/Directory.Packages.props"
}
bcrypt_version=$(package_version BCrypt.Net-Next)
npgsql_ef_version=$(package_version Npgsql.EntityFrameworkCore.PostgreSQL)
aspnet_version=$(package_version Microsoft.AspNetCore.Authentication.JwtBearer)
[ -n "$bcrypt_version" ] && [ -n "$npgsql_ef_version" ] && [ -n "$aspnet_version" ] \
  || fail "could not read package versions from the generated Directory.Packages.props."

# The architecture as Docker names it, which the Dockerfile's build stage passes to dotnet as $TARGETARCH.
case $(uname -m) in
  x86_64) docker_arch=amd64 ;;
  aarch64 | arm64) docker_arch=arm64 ;;
  *) fail "no Docker architecture known for $(uname -m)." ;;
esac

# The generated Dockerfile, read as Docker reads it: continuation lines joined, stage by stage. Prints the build
# stages' RUN commands that call dotnet (one a line), or with "env" the final stage's ENV settings (NAME=VALUE, one a
# line): the environment the image runs the app with.
dockerfile() {
  awk -v want="$1" '
    { line = line $0 }
    /\\$/ { sub(/\\$/, "", line); next }
    {
      if (line ~ /^[ \t]*FROM[ \t]/) { stage++; envs[stage] = "" }
      else if (line ~ /^[ \t]*RUN[ \t]+dotnet[ \t]/) { sub(/^[ \t]*RUN[ \t]+/, "", line); runs[stage] = runs[stage] line "\n" }
      else if (line ~ /^[ \t]*ENV[ \t]/) {
        sub(/^[ \t]*ENV[ \t]+/, "", line)
        # ENV NAME VALUE (the old form) or ENV NAME=VALUE ...
        if (line !~ /^[^ \t=]+=/) { name = line; sub(/[ \t].*/, "", name); value = line; sub(/^[^ \t]+[ \t]+/, "", value); envs[stage] = envs[stage] name "=" value "\n" }
        else { n = split(line, words, /[ \t]+/); for (i = 1; i <= n; i++) if (words[i] != "") envs[stage] = envs[stage] words[i] "\n" }
      }
      line = ""
    }
    END {
      if (want == "env") { printf "%s", envs[stage]; exit }
      for (i = 1; i < stage; i++) printf "%s", runs[i]
    }
  ' "$work/api/Dockerfile"
}

step "Publishing the API as its Dockerfile does ($docker_arch), the Identity peer, a plain webapi and the measuring tools (Release)"
# The build stage's own commands, from the build context (the generated solution folder), with the build argument
# TARGETARCH set as Docker sets it and the image's /app replaced by the publish directory: a change to the project's
# publish settings (ReadyToRun for a runtime) or to the Dockerfile moves the figures as it moves the image.
mapfile -t dockerfile_runs < <(dockerfile run)
((${#dockerfile_runs[@]} > 0)) || fail "the generated Dockerfile has no RUN dotnet ... line in its build stage; see $work/api/Dockerfile"
for i in "${!dockerfile_runs[@]}"; do
  command=" ${dockerfile_runs[$i]} "
  command=${command// \/app / $(printf '%q' "$work/publish/api") }
  command=${command//=\/app /=$(printf '%q' "$work/publish/api") }
  quiet "publish-api-$((i + 1))" in_dir "$work/api" env TARGETARCH="$docker_arch" sh -c "$command"
done
[ -f "$work/publish/api/Contoso.Orders.Api.dll" ] \
  || fail "the Dockerfile's commands published no Contoso.Orders.Api.dll to $work/publish/api (its --output /app?); see $logs/publish-api-*.log"
# The final stage's environment, but for the port: --urls names the run's own (and wins over ASPNETCORE_HTTP_PORTS,
# which Kestrel then only warns about; the start-up wait on that port checks it).
mapfile -t image_env < <(dockerfile env)
# The command-line properties of the Dockerfile's publish, for the peers: each keeps its own project settings.
publish_properties=(-c Release --arch "$docker_arch" -p:UseAppHost=false)

quiet new-identity dotnet new webapi -n IdentityPeer -o "$work/identity" --no-update-check
cp "$bench/peers/identity/Program.cs" "$work/identity/Program.cs"
quiet add-identity dotnet add "$work/identity" package Microsoft.AspNetCore.Identity.EntityFrameworkCore --version "$aspnet_version"
quiet add-npgsql dotnet add "$work/identity" package Npgsql.EntityFrameworkCore.PostgreSQL --version "$npgsql_ef_version"
quiet publish-identity dotnet publish "$work/identity" "${publish_properties[@]}" -o "$work/publish/identity" -tl:off -nologo

quiet new-plain dotnet new webapi -n PlainWebApi -o "$work/plain" --no-update-check
quiet publish-plain dotnet publish "$work/plain" "${publish_properties[@]}" -o "$work/publish/plain" -tl:off -nologo

quiet new-bcrypt dotnet new console -n BcryptVerify -o "$work/bcrypt-verify" --no-update-check
cp "$bench/peers/bcrypt-verify/Program.cs" "$work/bcrypt-verify/Program.cs"
quiet add-bcrypt dotnet add "$work/bcrypt-verify" package BCrypt.Net-Next --version "$bcrypt_version"
quiet publish-bcrypt dotnet publish "$work/bcrypt-verify" -c Release -o "$work/publish/bcrypt-verify" -tl:off -nologo

# The signing bound, with the JWT library at the version the published API carries.
jwt_version=$(jq -r '.libraries | keys[] | select(startswith("Microsoft.IdentityModel.JsonWebTokens/")) | sub(".*/"; "")' \
  "$work/publish/api/Contoso.Orders.Api.deps.json")
[ -n "$jwt_version" ] || fail "the published API's deps.json names no Microsoft.IdentityModel.JsonWebTokens."
quiet new-signing-bound dotnet new console -n SigningBound -o "$work/signing-bound" --no-update-check
cp "$bench/peers/signing-bound/Program.cs" "$work/signing-bound/Program.cs"
quiet add-signing-bound dotnet add "$work/signing-bound" package Microsoft.IdentityModel.JsonWebTokens --version "$jwt_version"
quiet publish-signing-bound dotnet publish "$work/signing-bound" "${publish_properties[@]}" -o "$work/publish/signing-bound" -tl:off -nologo

quiet new-password-check dotnet new console -n PasswordCheck -o "$work/password-check" --no-update-check
cp "$bench/peers/password-check/Program.cs" "$work/password-check/Program.cs"
quiet publish-password-check dotnet publish "$work/password-check" -c Release -o "$work/publish/password-check" -tl:off -nologo

quiet new-two-factor-login dotnet new console -n TwoFactorLogin -o "$work/two-factor-login" --no-update-check
cp "$bench/peers/two-factor-login/Program.cs" "$work/two-factor-login/Program.cs"
quiet publish-two-factor-login dotnet publish "$work/two-factor-login" -c Release -o "$work/publish/two-factor-login" -tl:off -nologo

# --- PostgreSQL and the processes under test -----------------------------------------------------------------------

step "Starting PostgreSQL on 127.0.0.1:$pg_port"
postgres=$("$repo/scripts/throwaway-postgres.sh" start "$work/postgres" "$pg_port")
pg_version=$(sed -n 's/.*PostgreSQL \([0-9.]*\).*/\1/p' "$work/postgres/server.log" | head -n 1)

# Signing keys made for this run, the way the README makes them: RS256 (the default) and ES256.
keys="$work/keys"
mkdir -p "$keys"
quiet key-rs256 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/rs256.pem"
quiet key-es256 openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$keys/es256.pem"
# The first admin, from configuration as compose and the Kubernetes migrate job give it: the API refuses a password
# that contains the address's local part (or a common word), so the password is random and the address plain.
admin_email="owner-$(date +%s)@example.com"
admin_password="Bench-$(head -c 18 /dev/urandom | base64 -w 0 | tr '+/' '-_')"
[[ ${admin_password,,} != *"${admin_email%@*}"* ]] || fail "the generated admin password contains the address's local part."
api_env=(
  "${image_env[@]}"
  ASPNETCORE_ENVIRONMENT=Production
  "ConnectionStrings__Postgres=$postgres;Database=benchmark_api"
  Jwt__Issuer=https://api.benchmark.test
  "Jwt__SigningKeys__0__PemFile=$keys/rs256.pem"
  # Every request comes from one loopback address: the per-client limit on credential endpoints would measure 429s.
  RateLimiting__PermitLimit=1000000000
  # The run measures the token paths: its user logs in without confirming its address, and email goes nowhere (a
  # closed loopback port: the confirmation the registration queues is retried in the background and never sent).
  Auth__RequireConfirmedEmail=false
  Email__From=benchmark@example.com
  Email__Smtp__Host=127.0.0.1
  "Email__Smtp__Port=$smtp_port"
  Email__Smtp__Security=None
  Email__ConfirmEmailUrl=https://app.benchmark.test/confirm-email
  Email__ResetPasswordUrl=https://app.benchmark.test/reset-password
  Passkeys__RpId=benchmark.test
  Passkeys__Origins__0=https://app.benchmark.test
  "Admin__Email=$admin_email"
  "Admin__Password=$admin_password"
)
# The same API signing with the P-256 key: the only differences are the key and its algorithm.
api_es256_env=("${api_env[@]/#Jwt__SigningKeys__0__PemFile=*/Jwt__SigningKeys__0__PemFile=$keys/es256.pem}" Jwt__Algorithm=ES256)
identity_env=(
  ASPNETCORE_ENVIRONMENT=Production
  "ConnectionStrings__Postgres=$postgres;Database=benchmark_identity"
)
plain_env=(ASPNETCORE_ENVIRONMENT=Production)

api_command=(dotnet "$work/publish/api/Contoso.Orders.Api.dll")
identity_command=(dotnet "$work/publish/identity/IdentityPeer.dll")
plain_command=(dotnet "$work/publish/plain/PlainWebApi.dll")

quiet migrate in_dir "$work/publish/api" env "${api_env[@]}" "${api_command[@]}" migrate

# Starts a process in the background and waits for its first 200 at the URL; sets started_pid.
start_and_wait() {
  local name=$1 port=$2 path=$3
  shift 3
  local began now
  began=$(date +%s%N)
  # The last argument is the app's dll, in its publish directory. The subshell becomes the app (exec), so that
  # started_pid is the app's own process: the one to stop and whose memory to read.
  (cd "$(dirname "${@: -1}")" && exec env "$@" --urls "http://127.0.0.1:$port" >>"$logs/$name.log" 2>&1) &
  started_pid=$!
  pids+=("$started_pid")
  until curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$port$path"; do
    kill -0 "$started_pid" 2>/dev/null || fail "$name exited while starting; see $logs/$name.log"
    now=$(date +%s%N)
    ((now - began < 60000000000)) || fail "$name gave no 200 on $path within 60 s; see $logs/$name.log"
  done
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Peak resident memory of a process so far, in MB.
peak_memory_mb() {
  awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# Resident memory of a process now (its working set), in MB.
resident_memory_mb() {
  awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

median() {
  sort -n | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }'
}

# Milliseconds since BEGAN (microseconds, from EPOCHREALTIME: no process to fork while timing a start).
since_ms() {
  local now=${EPOCHREALTIME/./}
  echo $(((now - $1) / 1000))
}

# One cold start of NAME, timed from just before its process is created: sets logged_ms (the line "Application
# started" in its console output, JSON or not), first_ms (the first 200 of FIRST-PATH), then_ms (the first 200 of
# THEN-PATH, polled after FIRST-PATH's; empty when THEN-PATH is empty) and started_pid. Every start writes a log of
# its own, so that the line found is this start's.
# Usage: cold_start NAME PORT FIRST-PATH THEN-PATH ENV/COMMAND...
cold_start() {
  local name=$1 port=$2 first=$3 then=$4
  shift 4
  local log="$logs/$name.log" began
  : >"$log"
  logged_ms='' first_ms='' then_ms=''
  began=${EPOCHREALTIME/./}
  (cd "$(dirname "${@: -1}")" && exec env "$@" --urls "http://127.0.0.1:$port" >>"$log" 2>&1) &
  started_pid=$!
  pids+=("$started_pid")
  # A 10 ms pause between polls, so that the polling does not take a core from the start it times.
  until [ -n "$logged_ms" ] && [ -n "$first_ms" ]; do
    [ -n "$logged_ms" ] || ! grep -qF 'Application started' "$log" || logged_ms=$(since_ms "$began")
    [ -n "$first_ms" ] || ! curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$port$first" || first_ms=$(since_ms "$began")
    kill -0 "$started_pid" 2>/dev/null || fail "$name exited while starting; see $log"
    (($(since_ms "$began") < 60000)) || fail "$name gave no 200 on $first or logged no start within 60 s; see $log"
    [ -n "$logged_ms" ] && [ -n "$first_ms" ] || sleep 0.01
  done
  [ -n "$then" ] || return 0
  until curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$port$then"; do
    kill -0 "$started_pid" 2>/dev/null || fail "$name exited while starting; see $log"
    (($(since_ms "$began") < 60000)) || fail "$name gave no 200 on $then within 60 s; see $log"
    sleep 0.01
  done
  then_ms=$(since_ms "$began")
}

# Start-up: one discarded start (so that every app starts with warm file caches), then the median of the others,
# each figure's own: sets startup_logged_ms, startup_first_ms and startup_then_ms.
# Usage: measure_startup NAME PORT FIRST-PATH THEN-PATH ENV/COMMAND...
measure_startup() {
  local name=$1 port=$2 first=$3 then=$4
  shift 4
  local i logged=() firsts=() thens=()
  for ((i = 0; i <= startups; i++)); do
    cold_start "$name-startup-$i" "$port" "$first" "$then" "$@"
    stop "$started_pid"
    ((i == 0)) && continue
    logged+=("$logged_ms") firsts+=("$first_ms") thens+=("${then_ms:-0}")
  done
  startup_logged_ms=$(printf '%s\n' "${logged[@]}" | median)
  startup_first_ms=$(printf '%s\n' "${firsts[@]}" | median)
  startup_then_ms=$(printf '%s\n' "${thens[@]}" | median)
}

step "Start-up, cold, median of $startups starts each: \"Application started\" logged, the first 200s"
measure_startup api "$api_port" /health/live /health/ready "${api_env[@]}" "${api_command[@]}"
api_started_ms=$startup_logged_ms api_live_ms=$startup_first_ms api_ready_ms=$startup_then_ms
# Kestrel binds what --urls names, not the image's ASPNETCORE_HTTP_PORTS (it warns that it overrides them).
if grep -q '^ASPNETCORE_HTTP_PORTS=' < <(printf '%s\n' "${image_env[@]}"); then
  grep -qF 'Overriding HTTP_PORTS' "$logs/api-startup-0.log" \
    || fail "the API did not say that --urls overrides the image's ASPNETCORE_HTTP_PORTS; see $logs/api-startup-0.log"
fi
measure_startup plain "$plain_port" /weatherforecast '' "${plain_env[@]}" "${plain_command[@]}"
plain_started_ms=$startup_logged_ms plain_first_ms=$startup_first_ms
echo "api: started ${api_started_ms} ms, /health/live ${api_live_ms} ms, /health/ready ${api_ready_ms} ms; plain webapi: started ${plain_started_ms} ms, /weatherforecast ${plain_first_ms} ms" >&2

# --- Load ----------------------------------------------------------------------------------------------------------

export BENCHMARK_WRK_DIR="$bench/wrk" BENCHMARK_WRK_THREADS=$wrk_threads
clock_ticks=$(getconf CLK_TCK)

# CPU time (clock ticks) used so far by the app under test (app_pid) and by every PostgreSQL process.
app_ticks() {
  awk '{ print $14 + $15 }' "/proc/$app_pid/stat"
}
postgres_ticks() {
  local pid total=0
  for pid in $(pgrep -u postgres postgres || true); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Runs wrk with one of the benchmark's scripts against the app app_pid and prints its BENCH line, with the CPU
# time the app and PostgreSQL spent per request; the whole output goes to the log.
run_wrk() {
  local name=$1 script=$2 threads=$3 conns=$4 seconds=$5
  shift 5
  local log="$logs/wrk-$name.log" app_before postgres_before line
  app_before=$(app_ticks)
  postgres_before=$(postgres_ticks)
  wrk -t "$threads" -c "$conns" -d "${seconds}s" --timeout 10s --latency -s "$bench/wrk/$script" "$@" >"$log" 2>&1 \
    || { cat "$log" >&2; fail "wrk failed for $name"; }
  line=$(grep '^BENCH ' "$log") || fail "wrk printed no figures for $name; see $log"
  awk -v line="$line" -v app=$(($(app_ticks) - app_before)) -v db=$(($(postgres_ticks) - postgres_before)) -v hz="$clock_ticks" '
    BEGIN {
      match(line, /requests=[0-9]+/); requests = substr(line, RSTART + 9, RLENGTH - 9)
      printf "%s app_us=%.0f db_us=%.0f\n", line, app * 1e6 / hz / requests, db * 1e6 / hz / requests
    }'
}

# Reads one field (requests, rps, p50_ms, p99_ms, socket_errors, statuses...) from a BENCH line.
field() {
  tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

# Requests of a BENCH line whose status is not the expected one, plus socket errors.
unexpected() {
  local line=$1 expected=$2
  local others
  others=$(field "$line" statuses | tr ',' '\n' | awk -F: -v ok="$expected" '$1 != ok { sum += $2 } END { print sum + 0 }')
  echo $((others + $(field "$line" socket_errors)))
}

# A warm-up run of the same load, then the measured run: measure NAME SCRIPT THREADS CONNECTIONS WRK-ARGS...
measure() {
  local name=$1 script=$2 threads=$3 conns=$4
  shift 4
  run_wrk "$name-warm-up" "$script" "$threads" "$conns" "$warm_up" "$@" >/dev/null
  run_wrk "$name" "$script" "$threads" "$conns" "$duration" "$@"
}

json_post() {
  curl -fsS --max-time 30 -H 'Content-Type: application/json' -d "$2" "$1"
}

email="bench-$(date +%s)@example.com"
password="benchmark-$(head -c 12 /dev/urandom | base64 -w 0 | tr '+/' '-_')"
export BENCHMARK_EMAIL=$email BENCHMARK_PASSWORD=$password
credentials=$(jq -nc --arg email "$email" --arg password "$password" '{email: $email, password: $password}')
api="http://127.0.0.1:$api_port"

step "Starting the API and seeding a user"
start_and_wait api "$api_port" /health/ready "${api_env[@]}" "${api_command[@]}"
api_pid=$started_pid
app_pid=$api_pid
json_post "$api/api/v1/auth/register" "$credentials" >/dev/null
access_token=$(json_post "$api/api/v1/auth/login" "$credentials" | jq -er .accessToken)

# Each login starts a token family; the refresh measurement needs one family per connection and some spare.
seed_refresh_tokens() {
  local file=$1 count=$2
  seq "$count" | xargs -P 2 -I{} sh -c 'curl -fsS --max-time 30 -H "Content-Type: application/json" -d "$1" "$2" | jq -er .refreshToken' _ \
    "$credentials" "$api/api/v1/auth/login" >"$file"
  [ "$(wc -l <"$file")" -eq "$count" ] || fail "seeding $count refresh tokens gave $(wc -l <"$file")."
}

step "Ceiling: GET /health/live"
ceiling=$(measure ceiling fixed.lua "$wrk_threads" "$connections" "$api/health/live")
echo "$ceiling" >&2

step "GET /api/v1/users/me"
me=$(measure me fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me")
echo "$me" >&2

step "GET /api/v1/users/me with multiplexing on (Multiplexing=true in the connection string)"
stop "$api_pid"
start_and_wait api-multiplexing "$api_port" /health/ready "${api_env[@]/%Database=benchmark_api/Database=benchmark_api;Multiplexing=true}" "${api_command[@]}"
app_pid=$started_pid
me_multiplexing=$(measure me-multiplexing fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me")
echo "$me_multiplexing" >&2
stop "$app_pid"
start_and_wait api "$api_port" /health/ready "${api_env[@]}" "${api_command[@]}"
api_pid=$started_pid
app_pid=$api_pid

step "POST /api/v1/auth/refresh"
refresh_token=$(json_post "$api/api/v1/auth/login" "$credentials" | jq -er .refreshToken)
for _ in $(seq 50); do
  refresh_token=$(json_post "$api/api/v1/auth/refresh" "{\"refreshToken\":\"$refresh_token\"}" | jq -er .refreshToken)
done
export BENCHMARK_REFRESH_TOKENS="$work/refresh-tokens"
# Every token is spent once: the warm-up and the measurement each start from tokens of their own.
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
run_wrk refresh-warm-up refresh.lua "$wrk_threads" "$connections" "$warm_up" "$api" >/dev/null
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
refresh=$(run_wrk refresh refresh.lua "$wrk_threads" "$connections" "$duration" "$api")
echo "$refresh" >&2

step "Refresh's statement alone in PostgreSQL (pgbench, 8 clients): the most an app that cost nothing could reach"
# The statement RefreshTokenStore.RotateAsync sends, on the tokens the measurement above spent (spending one again
# costs the same work), without the conditions that would now make it match nothing.
pg_setting() {
  tr ';' '\n' <<<"$postgres" | sed -n "s/^$1=//p"
}
pg_bin=$(dirname "$(readlink -f "$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")")
export PGPASSWORD
PGPASSWORD=$(pg_setting Password)
pg_connection=(-h "$(pg_setting Host)" -p "$(pg_setting Port)" -U "$(pg_setting Username)" -d benchmark_api)
quiet hashes "$pg_bin/psql" "${pg_connection[@]}" -v ON_ERROR_STOP=1 -c \
  "CREATE TABLE benchmark_hashes AS SELECT row_number() OVER () AS n, token_hash AS hash FROM refresh_tokens WHERE spent_at IS NOT NULL; CREATE UNIQUE INDEX ON benchmark_hashes (n); ANALYZE benchmark_hashes;"
spent_tokens=$("$pg_bin/psql" "${pg_connection[@]}" -Atc "SELECT count(*) FROM benchmark_hashes")
cat >"$work/rotation.sql" <<SQL
\\set n random(1, $spent_tokens)
WITH spent AS (
    UPDATE refresh_tokens AS t SET spent_at = now()
    FROM users AS u
    WHERE t.token_hash = (SELECT hash FROM benchmark_hashes WHERE n = :n) AND u.id = t.user_id AND u.is_active
    RETURNING t.user_id, t.family_id, t.family_expires_at, t.session_started_at, t.authentication_methods)
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, family_expires_at,
                            session_started_at, authentication_methods, client_address, user_agent)
SELECT gen_random_uuid(), user_id, family_id, sha256(random()::text::bytea), now(), LEAST(now() + interval '14 days', family_expires_at), family_expires_at,
       session_started_at, authentication_methods, '127.0.0.1', 'pgbench'
FROM spent
RETURNING user_id, family_id, expires_at, authentication_methods;
SQL
quiet pgbench "$pg_bin/pgbench" "${pg_connection[@]}" -n -M prepared -c 8 -j 2 -T "$duration" -f "$work/rotation.sql"
rotation_tps=$(awk '/^tps = / { printf "%.1f", $3 }' "$logs/pgbench.log")
[ -n "$rotation_tps" ] || fail "pgbench printed no tps; see $logs/pgbench.log"

echo "the rotation statement alone: $rotation_tps per second" >&2

step "Signing alone: an access token's payload signed with the run's keys, on one core and on every core"
# Every refresh signs one access token: this is the other bound on refresh, what signing alone reaches with the JWT
# library the API ships, the key and the payload of a real access token of this run (the API's own, decoded).
payload_file="$work/access-token-payload.json"
jq -Rr 'split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | @base64d' <<<"$access_token" >"$payload_file"
jq -e '.sub and .exp' "$payload_file" >/dev/null || fail "could not decode the access token's payload; see $payload_file"
cores=$(nproc)
signing_rs256=$(dotnet "$work/publish/signing-bound/SigningBound.dll" "$keys/rs256.pem" RS256 "$payload_file" "$duration" "$cores")
echo "$signing_rs256" >&2
signing_es256=$(dotnet "$work/publish/signing-bound/SigningBound.dll" "$keys/es256.pem" ES256 "$payload_file" "$duration" "$cores")
echo "$signing_es256" >&2

step "POST /api/v1/auth/login, one connection, beside one BCrypt verification alone"
login=$(measure login login.lua 1 1 "$api/api/v1/auth/login")
echo "$login" >&2
bcrypt_cost=$(jq -r '.Auth.BcryptWorkFactor' "$work/publish/api/appsettings.json")
verify=$(dotnet "$work/publish/bcrypt-verify/BcryptVerify.dll" "$bcrypt_cost" 30)
echo "one verification at cost $bcrypt_cost: $verify" >&2

step "Logins with two-factor sign-in, one request at a time, over $two_factor_accounts accounts with an authenticator"
# The tool seeds the accounts (two at a time), then logs in round-robin over them on one kept-alive connection until
# no account has a time step left that the API would accept (each is accepted once per account): see its Program.cs.
two_factor=$(dotnet "$work/publish/two-factor-login/TwoFactorLogin.dll" "$api" "$two_factor_accounts" 2>"$logs/two-factor-login.log") \
  || { cat "$logs/two-factor-login.log" >&2; fail "the two-factor login measurement failed"; }
echo "$two_factor" >&2

step "POST /api/v1/auth/register, one connection (a new address each time), and the common-password check alone"
register=$(measure register register.lua 1 1 "$api/api/v1/auth/register")
echo "$register" >&2
password_check=$(dotnet "$work/publish/password-check/PasswordCheck.dll" "$work/publish/api/Contoso.Orders.Api.dll" 5000000)
echo "the common-password check alone: $password_check" >&2

step "Soak: ${soak} s mixing me, refresh and login over $connections connections"
login_connections=1
refresh_connections=$((connections / 4))
me_connections=$((connections - refresh_connections - login_connections))
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((refresh_connections * 2))
run_wrk soak-me fixed.lua 1 "$me_connections" "$soak" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me" >"$work/soak-me" &
soak_me_pid=$!
BENCHMARK_WRK_THREADS=1 run_wrk soak-refresh refresh.lua 1 "$refresh_connections" "$soak" "$api" >"$work/soak-refresh" &
soak_refresh_pid=$!
run_wrk soak-login login.lua 1 "$login_connections" "$soak" "$api/api/v1/auth/login" >"$work/soak-login" &
soak_login_pid=$!
wait "$soak_me_pid" && wait "$soak_refresh_pid" && wait "$soak_login_pid" || fail "the soak's load generators failed; see $logs"
soak_me=$(cat "$work/soak-me") soak_refresh=$(cat "$work/soak-refresh") soak_login=$(cat "$work/soak-login")
printf '%s\n' "$soak_me" "$soak_refresh" "$soak_login" >&2
curl -fs -o /dev/null "$api/health/live" || fail "the API stopped answering after the soak; see $logs/api.log"
api_memory_mb=$(peak_memory_mb "$api_pid")
api_resident_mb=$(resident_memory_mb "$api_pid")
stop "$api_pid"

step "Two replicas on one database: GET /api/v1/users/me across both, and a deactivation's delay from one to the other"
replica="http://127.0.0.1:$replica_port"
start_and_wait api "$api_port" /health/ready "${api_env[@]}" "${api_command[@]}"
first_pid=$started_pid
start_and_wait api-replica "$replica_port" /health/ready "${api_env[@]}" "${api_command[@]}"
second_pid=$started_pid
# Half the connections on each replica at once, one wrk each; each line's CPU figures are its own replica's.
me_on_both() {
  local name=$1 seconds=$2
  app_pid=$first_pid BENCHMARK_WRK_THREADS=1 run_wrk "$name-first" fixed.lua 1 $((connections / 2)) "$seconds" \
    -H "Authorization: Bearer $access_token" "$api/api/v1/users/me" >"$work/$name-first" &
  local first_wrk=$!
  app_pid=$second_pid BENCHMARK_WRK_THREADS=1 run_wrk "$name-second" fixed.lua 1 $((connections / 2)) "$seconds" \
    -H "Authorization: Bearer $access_token" "$replica/api/v1/users/me" >"$work/$name-second" &
  local second_wrk=$!
  wait "$first_wrk" && wait "$second_wrk" || fail "the load generators of $name failed; see $logs"
}
me_on_both me-two-replicas-warm-up "$warm_up"
me_on_both me-two-replicas "$duration"
me_first=$(cat "$work/me-two-replicas-first") me_second=$(cat "$work/me-two-replicas-second")
printf '%s\n' "$me_first" "$me_second" >&2
# The first admin (from configuration, as in production) deactivates the users the delay measurement makes; the run's
# user stays as it is for the measurements after this one.
admin_credentials=$(jq -nc --arg email "$admin_email" --arg password "$admin_password" '{email: $email, password: $password}')
admin_token=$(json_post "$api/api/v1/auth/login" "$admin_credentials" | jq -er .accessToken)
revocation=$(python3 "$bench/peers/revocation/revocation_delay.py" "$api" "$replica" "$admin_token" 20 2>"$logs/revocation.log") \
  || { cat "$logs/revocation.log" >&2; fail "the revocation delay measurement failed"; }
echo "$revocation" >&2
stop "$first_pid"
stop "$second_pid"

step "The same with an ES256 key: GET /api/v1/users/me, POST /api/v1/auth/refresh, POST /api/v1/auth/login"
start_and_wait api-es256 "$api_port" /health/ready "${api_es256_env[@]}" "${api_command[@]}"
app_pid=$started_pid
es256_token=$(json_post "$api/api/v1/auth/login" "$credentials" | jq -er .accessToken)
[ "$(jq -Rr 'split(".")[0] | gsub("-"; "+") | gsub("_"; "/") | @base64d | fromjson | .alg' <<<"$es256_token")" = ES256 ] \
  || fail "the API started with the ES256 key did not sign ES256; see $logs/api-es256.log"
me_es256=$(measure me-es256 fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $es256_token" "$api/api/v1/users/me")
echo "$me_es256" >&2
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
run_wrk refresh-es256-warm-up refresh.lua "$wrk_threads" "$connections" "$warm_up" "$api" >/dev/null
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
refresh_es256=$(run_wrk refresh-es256 refresh.lua "$wrk_threads" "$connections" "$duration" "$api")
echo "$refresh_es256" >&2
login_es256=$(measure login-es256 login.lua 1 1 "$api/api/v1/auth/login")
echo "$login_es256" >&2
stop "$app_pid"

step "The same with telemetry exported over OTLP to a local sink: GET /api/v1/users/me, POST /api/v1/auth/refresh"
# The sink takes every export and drops it: what is measured is the app's cost of recording and sending.
python3 "$bench/peers/otlp-sink/otlp_sink.py" "$otlp_port" >"$logs/otlp-sink.log" 2>&1 &
sink_pid=$!
pids+=("$sink_pid")
start_and_wait api-telemetry "$api_port" /health/ready "${api_env[@]}" \
  "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$otlp_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf "${api_command[@]}"
app_pid=$started_pid
me_telemetry=$(measure me-telemetry fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me")
echo "$me_telemetry" >&2
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
run_wrk refresh-telemetry-warm-up refresh.lua "$wrk_threads" "$connections" "$warm_up" "$api" >/dev/null
seed_refresh_tokens "$BENCHMARK_REFRESH_TOKENS" $((connections + connections / 2))
refresh_telemetry=$(run_wrk refresh-telemetry refresh.lua "$wrk_threads" "$connections" "$duration" "$api")
echo "$refresh_telemetry" >&2
stop "$app_pid"
# The default traces every request; the same with one request in ten traced, for what a span per request costs.
start_and_wait api-telemetry-sampled "$api_port" /health/ready "${api_env[@]}" \
  "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$otlp_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 "${api_command[@]}"
app_pid=$started_pid
me_telemetry_sampled=$(measure me-telemetry-sampled fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me")
echo "$me_telemetry_sampled" >&2
[ -n "$(find "$logs" -name otlp-sink.log)" ] && kill -0 "$sink_pid" 2>/dev/null || fail "the OTLP sink stopped; see $logs/otlp-sink.log"
stop "$app_pid"
stop "$sink_pid"

step "Memory under the same load: a fresh API under me's load (the plain webapi gets the same below)"
# me's load as measured above (fixed.lua, $connections connections, the warm-up then the measurement) on a process
# that served nothing before; then, after 5 s idle, its peak (VmHWM: the load's, unless the idle grew past it) and
# what it keeps (VmRSS). The token comes from
# the run's user, signed with the same key: the fresh process serves only this load.
start_and_wait api-memory "$api_port" /health/ready "${api_env[@]}" "${api_command[@]}"
app_pid=$started_pid
me_memory=$(measure me-memory fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $access_token" "$api/api/v1/users/me")
echo "$me_memory" >&2
sleep 5
api_load_peak_mb=$(peak_memory_mb "$app_pid")
api_load_resident_mb=$(resident_memory_mb "$app_pid")
stop "$app_pid"
echo "api: peak ${api_load_peak_mb} MB, ${api_load_resident_mb} MB after 5 s idle" >&2

step "Peer: Identity API endpoints, GET /manage/info"
identity="http://127.0.0.1:$identity_port"
start_and_wait identity "$identity_port" /health/live "${identity_env[@]}" "${identity_command[@]}"
identity_pid=$started_pid
app_pid=$identity_pid
identity_password="Bench-$(head -c 9 /dev/urandom | base64 -w 0 | tr '+/' 'xy')-7a"
identity_credentials=$(jq -nc --arg email "$email" --arg password "$identity_password" '{email: $email, password: $password}')
json_post "$identity/register" "$identity_credentials" >/dev/null
identity_token=$(json_post "$identity/login" "$identity_credentials" | jq -er .accessToken)
peer=$(measure peer fixed.lua "$wrk_threads" "$connections" -H "Authorization: Bearer $identity_token" "$identity/manage/info")
echo "$peer" >&2
identity_memory_mb=$(peak_memory_mb "$identity_pid")
stop "$identity_pid"

step "Plain webapi under the same load, a fresh process: GET /weatherforecast"
start_and_wait plain "$plain_port" /weatherforecast "${plain_env[@]}" "${plain_command[@]}"
plain_pid=$started_pid
app_pid=$plain_pid
plain=$(measure plain fixed.lua "$wrk_threads" "$connections" "http://127.0.0.1:$plain_port/weatherforecast")
echo "$plain" >&2
sleep 5
plain_memory_mb=$(peak_memory_mb "$plain_pid")
plain_resident_mb=$(resident_memory_mb "$plain_pid")
stop "$plain_pid"
echo "plain webapi: peak ${plain_memory_mb} MB, ${plain_resident_mb} MB after 5 s idle" >&2

# --- Report --------------------------------------------------------------------------------------------------------

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# "yes" when the ratio meets the target: at_least or at_most.
verdict() {
  awk -v value="$1" -v how="$2" -v target="$3" 'BEGIN {
    met = (how == "at_least") ? value >= target : value <= target
    print met ? "yes" : "**no**"
  }'
}

# One part of the two-factor tool's JSON (password_step, second_step, both_steps) as key=value words, for field.
two_factor_part() {
  jq -er --arg part "$1" '.[$part] | to_entries | map("\(.key)=\(.value)") | join(" ")' <<<"$two_factor"
}

# Latency percentiles of a line that has p90_ms, and how many requests they are of.
percentiles() {
  local line=$1
  printf 'p50 %s ms, p90 %s ms, p99 %s ms (%s logins)' "$(field "$line" p50_ms)" "$(field "$line" p90_ms)" "$(field "$line" p99_ms)" "$(field "$line" count)"
}

figures() {
  local line=$1
  printf '%s req/s; p50 %s ms, p99 %s ms' "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)"
}

cpu_per_request() {
  local line=$1
  printf '%s µs app, %s µs PostgreSQL' "$(field "$line" app_us)" "$(field "$line" db_us)"
}

five_xx() {
  field "$1" statuses | tr ',' '\n' | awk -F: '$1 >= 500 { sum += $2 } END { print sum + 0 }'
}

statuses_of() {
  local line=$1 errors
  errors=$(field "$line" socket_errors)
  printf '%s' "$(field "$line" statuses | sed 's/,/, /g')"
  ((errors == 0)) || printf ', %s socket errors' "$errors"
}

me_ceiling=$(ratio "$(field "$me" rps)" "$(field "$ceiling" rps)")
me_two_replicas_rps=$(awk -v a="$(field "$me_first" rps)" -v b="$(field "$me_second" rps)" 'BEGIN { printf "%.1f", a + b }')
me_two_replicas_ceiling=$(ratio "$me_two_replicas_rps" "$(field "$ceiling" rps)")
revocation_max_s=$(awk -v ms="$(field "$revocation" max_ms)" 'BEGIN { printf "%.3f", ms / 1000 }')
me_es256_ceiling=$(ratio "$(field "$me_es256" rps)" "$(field "$ceiling" rps)")
me_rs_over_es=$(ratio "$(field "$me" rps)" "$(field "$me_es256" rps)")
refresh_es256_ceiling=$(ratio "$(field "$refresh_es256" rps)" "$(field "$ceiling" rps)")
refresh_rs_over_es=$(ratio "$(field "$refresh" rps)" "$(field "$refresh_es256" rps)")
login_es256_verify=$(ratio "$(field "$login_es256" p50_ms)" "$(field "$verify" median_ms)")
me_peer=$(ratio "$(field "$me" rps)" "$(field "$peer" rps)")
me_multiplexing_ceiling=$(ratio "$(field "$me_multiplexing" rps)" "$(field "$ceiling" rps)")
multiplexing_gain=$(ratio "$(field "$me_multiplexing" rps)" "$(field "$me" rps)")
refresh_ceiling=$(ratio "$(field "$refresh" rps)" "$(field "$ceiling" rps)")
me_telemetry_share=$(ratio "$(field "$me_telemetry" rps)" "$(field "$me" rps)")
refresh_telemetry_share=$(ratio "$(field "$refresh_telemetry" rps)" "$(field "$refresh" rps)")
me_telemetry_sampled_share=$(ratio "$(field "$me_telemetry_sampled" rps)" "$(field "$me" rps)")
rotation_ceiling=$(ratio "$rotation_tps" "$(field "$ceiling" rps)")
verify_ms=$(field "$verify" median_ms)
login_verify=$(ratio "$(field "$login" p50_ms)" "$verify_ms")
register_verify=$(ratio "$(field "$register" p50_ms)" "$verify_ms")
two_factor_password=$(two_factor_part password_step) || fail "the two-factor tool printed no password step: $two_factor"
two_factor_second=$(two_factor_part second_step) || fail "the two-factor tool printed no second step: $two_factor"
two_factor_both=$(two_factor_part both_steps) || fail "the two-factor tool printed no whole login: $two_factor"
two_factor_login=$(ratio "$(field "$two_factor_both" p50_ms)" "$(field "$login" p50_ms)")
[ "$(unexpected "$register" 202)" -eq 0 ] || fail "registration saw other statuses than 202: $register"
startup_ratio=$(ratio "$api_ready_ms" "$plain_first_ms")
memory_ratio=$(ratio "$api_load_peak_mb" "$plain_memory_mb")
# Refresh's two bounds: signing on every core (S) and its statement alone in PostgreSQL (P). Refresh needs both, on
# cores it shares with PostgreSQL and the load generator: the lower bound is the target's reference, and 1/(1/S + 1/P),
# both costs paid one after the other on the same cores, is shown beside it.
lower_of() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a < b ? a : b }'
}
combined_of() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 1 / (1 / a + 1 / b) }'
}
signing_rs256_all=$(field "$signing_rs256" signatures_per_s_all_cores)
signing_es256_all=$(field "$signing_es256" signatures_per_s_all_cores)
[ -n "$signing_rs256_all" ] && [ -n "$signing_es256_all" ] || fail "the signing bound printed no figures: $signing_rs256 / $signing_es256"
refresh_lower=$(lower_of "$signing_rs256_all" "$rotation_tps")
refresh_bound=$(ratio "$(field "$refresh" rps)" "$refresh_lower")
refresh_combined=$(combined_of "$signing_rs256_all" "$rotation_tps")
refresh_combined_ratio=$(ratio "$(field "$refresh" rps)" "$refresh_combined")
refresh_es256_lower=$(lower_of "$signing_es256_all" "$rotation_tps")
refresh_es256_bound=$(ratio "$(field "$refresh_es256" rps)" "$refresh_es256_lower")
refresh_es256_combined=$(combined_of "$signing_es256_all" "$rotation_tps")
refresh_es256_combined_ratio=$(ratio "$(field "$refresh_es256" rps)" "$refresh_es256_combined")
soak_5xx=$(($(five_xx "$soak_me") + $(five_xx "$soak_refresh") + $(five_xx "$soak_login")))
soak_unexpected=$(($(unexpected "$soak_me" 200) + $(unexpected "$soak_refresh" 200) + $(unexpected "$soak_login" 200)))
for line in "$ceiling" "$me" "$me_first" "$me_second" "$me_multiplexing" "$refresh" "$login" "$me_es256" "$refresh_es256" "$login_es256" "$me_telemetry" "$refresh_telemetry" "$me_telemetry_sampled" "$me_memory" "$peer" "$plain"; do
  [ "$(unexpected "$line" 200)" -eq 0 ] || fail "a measurement saw other statuses than 200: $line"
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_gb=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")
dotnet_version=$(dotnet --version)
# wrk --version prints its version and then exits 1.
wrk_version=$( (wrk --version 2>&1 || true) | head -n 1 | awk '{ print $2 }')

mkdir -p "$bench/results"
report="$bench/results/latest.md"
{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), ${memory_gb} GB RAM, $os; .NET SDK $dotnet_version, wrk $wrk_version, PostgreSQL $pg_version (fsync off); the load generator, the app and PostgreSQL share the machine. $connections connections over $wrk_threads wrk threads for ${duration} s after a ${warm_up} s warm-up, unless said otherwise."
  echo
  echo "| Measure | Figures | CPU per request | Ratio | Target | Met |"
  echo "|---|---|---|---|---|---|"
  echo "| Ceiling: \`GET /health/live\` | $(figures "$ceiling") | $(cpu_per_request "$ceiling") | | | |"
  echo "| \`GET /api/v1/users/me\` (RS256 JWT validation, the user from the cache) | $(figures "$me") | $(cpu_per_request "$me") | ${me_ceiling}x the ceiling | at least 0.75x | $(verdict "$me_ceiling" at_least 0.75) |"
  echo "| \`GET /api/v1/users/me\` with \`Multiplexing=true\` | $(figures "$me_multiplexing") | $(cpu_per_request "$me_multiplexing") | ${me_multiplexing_ceiling}x the ceiling; multiplexing makes me ${multiplexing_gain}x faster | | |"
  echo "| Two replicas on one database, half the connections on each: \`GET /api/v1/users/me\` | ${me_two_replicas_rps} req/s in all; first $(figures "$me_first"); second $(figures "$me_second") | first $(cpu_per_request "$me_first"); second $(field "$me_second" app_us) µs app | ${me_two_replicas_ceiling}x the one-replica ceiling (one machine: the replicas share its cores) | | |"
  echo "| Two replicas: a deactivation (admin \`PUT\` on the first) to the first 401 of \`/me\` on the second, $(field "$revocation" tries) tries | median $(field "$revocation" median_ms) ms, max $(field "$revocation" max_ms) ms (polled every $(field "$revocation" resolution_ms) ms on average) | | | max at most 1 s | $(verdict "$revocation_max_s" at_most 1) |"
  echo "| Identity API endpoints: \`GET /manage/info\` | $(figures "$peer") | $(cpu_per_request "$peer") | me is ${me_peer}x the peer | at least 1.0x | $(verdict "$me_peer" at_least 1.0) |"
  echo "| \`POST /api/v1/auth/refresh\` (RS256; rotation, reuse detection) | $(figures "$refresh") | $(cpu_per_request "$refresh") | refresh is ${refresh_bound}x the lower of its two bounds (signing on every core, pgbench: ${refresh_lower}/s); ${refresh_combined_ratio}x the two costs combined on shared cores (${refresh_combined}/s); ${refresh_ceiling}x the ceiling | at least 0.8x | $(verdict "$refresh_bound" at_least 0.8) |"
  echo "| Refresh's statement alone in PostgreSQL (pgbench, 8 clients, no app) | $rotation_tps statements/s | | ${rotation_ceiling}x the ceiling: the most refresh could reach if the app cost nothing | | |"
  echo "| Signing alone: \`JsonWebTokenHandler.CreateToken\` (Microsoft.IdentityModel.JsonWebTokens $jwt_version), the run's key, a real access token's payload | RS256: $(field "$signing_rs256" signatures_per_s_one_core)/s on one core, ${signing_rs256_all}/s on $(field "$signing_rs256" threads) cores; ES256: $(field "$signing_es256" signatures_per_s_one_core)/s on one core, ${signing_es256_all}/s on $(field "$signing_es256" threads) cores | | the most refresh could reach if signing were all it did | | |"
  echo "| \`POST /api/v1/auth/login\` at cost $bcrypt_cost, 1 connection | $(figures "$login") | $(cpu_per_request "$login") | p50 is ${login_verify}x one verification alone (${verify_ms} ms) | at most 1.2x | $(verdict "$login_verify" at_most 1.2) |"
  echo "| 2FA login: password step (403 with mfaToken), \`POST /api/v1/auth/login\` at cost $bcrypt_cost, 1 connection, $(jq -r .accounts <<<"$two_factor") accounts in turn | $(percentiles "$two_factor_password") | | | | |"
  echo "| 2FA login: second step, \`POST /api/v1/auth/login/two-factor\` with an authenticator code, 1 connection | $(field "$two_factor_second" rps) req/s alone; $(percentiles "$two_factor_second") | | | | |"
  echo "| 2FA login, both steps (after $(jq -r .warm_up <<<"$two_factor") logins of warm-up; stopped: $(jq -r '.stopped | gsub("_"; " ")' <<<"$two_factor")) | $(percentiles "$two_factor_both") | | p50 is ${two_factor_login}x the password login's ($(field "$login" p50_ms) ms); the second step's p50 is $(field "$two_factor_second" p50_ms) ms | | |"
  echo "| \`POST /api/v1/auth/register\` at cost $bcrypt_cost, 1 connection, a new address each time | $(figures "$register") | $(cpu_per_request "$register") | p50 is ${register_verify}x one verification alone | | |"
  echo "| The common-password check alone ($(field "$password_check" passwords) passwords) | $(field "$password_check" ns_per_lookup) ns per lookup; loaded in $(field "$password_check" load_ms) ms on first use, holding $(field "$password_check" retained_kib) KiB | | | | |"
  echo "| ES256: \`GET /api/v1/users/me\` | $(figures "$me_es256") | $(cpu_per_request "$me_es256") | ${me_es256_ceiling}x the ceiling; RS256 me is ${me_rs_over_es}x ES256 me | | |"
  echo "| ES256: \`POST /api/v1/auth/refresh\` | $(figures "$refresh_es256") | $(cpu_per_request "$refresh_es256") | ${refresh_es256_bound}x the lower of its two bounds (ES256 signing on every core, pgbench: ${refresh_es256_lower}/s); ${refresh_es256_combined_ratio}x the two combined (${refresh_es256_combined}/s); ${refresh_es256_ceiling}x the ceiling; RS256 refresh is ${refresh_rs_over_es}x ES256 refresh | | |"
  echo "| ES256: \`POST /api/v1/auth/login\` at cost $bcrypt_cost, 1 connection | $(figures "$login_es256") | $(cpu_per_request "$login_es256") | p50 is ${login_es256_verify}x one verification alone | | |"
  echo "| Telemetry exported (OTLP/HTTP to a local sink; every request traced, the default): \`GET /api/v1/users/me\` | $(figures "$me_telemetry") | $(cpu_per_request "$me_telemetry") | ${me_telemetry_share}x me without telemetry | at least 0.8x | $(verdict "$me_telemetry_share" at_least 0.8) |"
  echo "| Telemetry exported, one request in ten traced (\`OTEL_TRACES_SAMPLER=parentbased_traceidratio\`, \`0.1\`): \`GET /api/v1/users/me\` | $(figures "$me_telemetry_sampled") | $(cpu_per_request "$me_telemetry_sampled") | ${me_telemetry_sampled_share}x me without telemetry | | |"
  echo "| Telemetry exported: \`POST /api/v1/auth/refresh\` | $(figures "$refresh_telemetry") | $(cpu_per_request "$refresh_telemetry") | ${refresh_telemetry_share}x refresh without telemetry | | |"
  echo "| Start-up, cold, median of $startups (after one discarded), from just before the process: \"Application started\" logged, the first 200 of \`/health/live\`, of \`/health/ready\` | API ${api_started_ms} ms logged, ${api_live_ms} ms live, ${api_ready_ms} ms ready; plain webapi ${plain_started_ms} ms logged, ${plain_first_ms} ms to the first 200 of \`/weatherforecast\` | | ready is ${startup_ratio}x the plain webapi's first 200 | at most 1.5x | $(verdict "$startup_ratio" at_most 1.5) |"
  echo "| Memory under the same load, each a fresh process: me's load on the API, \`/weatherforecast\` on the plain webapi ($connections connections, warm-up then measurement) | API peak (VmHWM) ${api_load_peak_mb} MB, ${api_load_resident_mb} MB resident (VmRSS) after 5 s idle; plain webapi peak ${plain_memory_mb} MB, ${plain_resident_mb} MB after 5 s idle | | API peak is ${memory_ratio}x the plain webapi's | at most 1.5x | $(verdict "$memory_ratio" at_most 1.5) |"
  echo "| Memory of the main API process after every phase and the soak (what a memory limit must cover) | peak (VmHWM) ${api_memory_mb} MB, ${api_resident_mb} MB resident (VmRSS) then; Identity peer peak ${identity_memory_mb} MB | | | | |"
  echo "| Soak, ${soak} s: me over $me_connections connections | $(figures "$soak_me"); $(statuses_of "$soak_me") | | | | |"
  echo "| Soak: refresh over $refresh_connections connections | $(figures "$soak_refresh"); $(statuses_of "$soak_refresh") | | | | |"
  echo "| Soak: login over $login_connections connection | $(figures "$soak_login"); $(statuses_of "$soak_login") | | | | |"
  echo "| Soak: 5xx responses | $soak_5xx ($soak_unexpected responses other than 200 in all) | | | zero 5xx | $(verdict "$soak_5xx" at_most 0) |"
} >"$report"

# The README shows the latest table between its markers.
readme="$repo/README.md"
if grep -q '<!-- benchmark:start -->' "$readme"; then
  awk -v report="$report" '
    /<!-- benchmark:end -->/ { skipping = 0; print "" }
    !skipping { print }
    /<!-- benchmark:start -->/ { print ""; while ((getline line < report) > 0) print line; skipping = 1 }
  ' "$readme" >"$work/README.md"
  cp "$work/README.md" "$readme"
fi

echo >&2
cat "$report"
echo >&2
echo "Written to ${report#"$repo"/}; the README shows it too." >&2
