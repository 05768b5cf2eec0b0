-- Shared by the wrk scripts of bench/freeradius-rest.sh (loaded with dofile).
--
-- env: BENCH_AUTHORIZATION   the whole Authorization header value, e.g. "Bearer s3cret"
--                            or openwisp-radius' "Bearer <org uuid> <token>"

local M = {}

-- The value of environment variable NAME; DEFAULT when unset or empty; exits when there
-- is neither (wrk would otherwise send requests that can only fail).
function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default == nil then
      io.stderr:write(name .. " is not set\n")
      os.exit(2)
    end
    return default
  end
  return v
end

-- POST with a JSON body and the FreeRADIUS API credentials, as rlm_rest sends it.
function M.post_json()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = M.env("BENCH_AUTHORIZATION")
end

-- 8 hex digits from /dev/urandom: makes the ids of one run unique.
function M.random_tag()
  local f = assert(io.open("/dev/urandom", "rb"))
  local b = f:read(4)
  f:close()
  return string.format("%02x%02x%02x%02x", b:byte(1, 4))
end

-- One machine-readable line per run, parsed by bench/freeradius-rest.sh:
-- RESULT <requests> <seconds> <req/s> <p50 ms> <p99 ms> <status errors> <socket errors>
-- Status errors are answers of 400 or above; socket errors are connect, read, write
-- and timeout errors.
function M.done(summary, latency, _requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %.2f %.3f %.3f %d %d\n",
    summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

return M
