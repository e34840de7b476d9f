-- POST /api/v1/auth/login with the seeded user's right password (BENCHMARK_EMAIL, BENCHMARK_PASSWORD).
dofile(os.getenv("BENCHMARK_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCHMARK_EMAIL"), os.getenv("BENCHMARK_PASSWORD"))
