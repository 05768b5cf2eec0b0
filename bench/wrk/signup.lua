-- signup.lua - wrk: register new subscribers through the sign-up form (GET for the CSRF
-- token and the offered verification method, then POST). Usernames are unique per run:
-- r<RUN>t<thread>n<count>.
package.path = package.path .. ";" .. (os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/?.lua"
require("form")
path = "/account/signup"
success_location = "/account/verification"
local run = os.getenv("BENCH_RUN") or "0"
local password = os.getenv("BENCH_PASSWORD") or "Tulip-Harbor-93"

function body_for(thread, n, item)
  local method = string.match(item.body, 'name="verification_method" value="([^"]+)"') or ""
  local name = "r" .. run .. "t" .. tostring(thread) .. "n" .. tostring(n)
  -- a unique Italian mobile number (methods such as sip require one)
  local mobile = string.format("+39 3%02d%07d", (tonumber(run) or 0) % 100, thread * 1000000 + n)
  return form({
    { "csrf_token", item.token }, { "verification_method", method },
    { "given_name", "Bench" }, { "surname", "User" },
    { "birth_date", "1990-01-01" }, { "address", "Via Roma 1" }, { "city", "Roma" },
    { "zip", "00100" }, { "country", "Italy" },
    { "email", name .. "@example.org" }, { "mobile", mobile },
    { "username", name }, { "password", password }, { "password_confirmation", password },
    { "eula_acceptance", "1" }, { "privacy_acceptance", "1" },
  })
end
