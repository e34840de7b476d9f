-- POST /api/v1/auth/register with a new address each time (BENCHMARK_EMAIL's domain, a per-thread counter) and an
-- unlisted password: the common-password check, a BCrypt hash and the outbox row of the confirmation.
dofile(os.getenv("BENCHMARK_WRK_DIR") .. "/report.lua")

local counter = 0
local run = tostring(os.time())

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
   counter = counter + 1
   local email = string.format("register-%s-%d-%d@example.com", run, id or 0, counter)
   return wrk.format(nil, nil, nil, string.format('{"email":"%s","password":"%s"}', email, os.getenv("BENCHMARK_PASSWORD")))
end
