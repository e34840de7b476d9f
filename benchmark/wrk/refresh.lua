-- POST /api/v1/auth/refresh, each token exactly once: every 200 hands back the next token of the same family, so a
-- connection never replays a spent token (which would revoke the family). Each thread takes its own share of the
-- seeded tokens, one line each in the file named by BENCHMARK_REFRESH_TOKENS, and needs at least one per connection.
dofile(os.getenv("BENCHMARK_WRK_DIR") .. "/report.lua")

local tokens = {}

function init(args)
   local threads = tonumber(os.getenv("BENCHMARK_WRK_THREADS"))
   local line_number = 0
   for line in io.lines(os.getenv("BENCHMARK_REFRESH_TOKENS")) do
      if line_number % threads == id then table.insert(tokens, line) end
      line_number = line_number + 1
   end
end

function request()
   -- Out of tokens only after failures; the stand-in is refused and shows up in the status counts.
   local token = table.remove(tokens, 1) or "exhausted"
   return wrk.format("POST", "/api/v1/auth/refresh", { ["Content-Type"] = "application/json" },
      '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
   count_status(status)
   if status == 200 then
      local token = body:match('"refreshToken"%s*:%s*"([^"]+)"')
      if token then table.insert(tokens, token) end
   end
end
