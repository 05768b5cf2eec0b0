-- login.lua - wrk: log in as bench users through the login form (GET for the CSRF token,
-- then POST). Users bench1..benchN (BENCH_USERS) with password BENCH_PASSWORD.
package.path = package.path .. ";" .. (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua"
require("form")
path = "/account/login"
success_location = "/account"
local users = tonumber(os.getenv("BENCH_USERS") or "20")
local password = os.getenv("BENCH_PASSWORD") or "Tulip-Harbor-93"

function body_for(thread, n, item)
  local user = "bench" .. tostring(((thread * 7919 + n) % users) + 1)
  return form({ { "csrf_token", item.token }, { "username", user }, { "password", password } })
end
