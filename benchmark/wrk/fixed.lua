-- The same request over and over (the URL and -H headers given to wrk), with the shared report.
dofile(os.getenv("BENCHMARK_WRK_DIR") .. "/report.lua")
