-- wrk script: POST /api/v1/freeradius/authorize/ with the JSON body of openwisp-radius'
-- documented rlm_rest configuration (reference: peers-and-protocols.md §3.2).
--
-- Users are BENCH_USER_PREFIX1 .. BENCH_USER_PREFIX<BENCH_USERS> with the passwords
-- BENCH_PASSWORD_PREFIX1 ...; each connection's requests go round them in turn, the wrk
-- threads starting at different users. With BENCH_USERS unset, every request is for the
-- single user BENCH_USERNAME / BENCH_PASSWORD.
--
-- env: BENCH_AUTHORIZATION (see common.lua)
--      BENCH_USERS, BENCH_USER_PREFIX (bench), BENCH_PASSWORD_PREFIX (benchpass-)
--      BENCH_USERNAME, BENCH_PASSWORD   when BENCH_USERS is unset
--
-- wrk -t2 -c16 -d5s -s bench/lua/authorize.lua http://127.0.0.1:PORT/api/v1/freeradius/authorize/

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
common.post_json()

local body_format = '{"username": "%s", "password": "%s", ' ..
  '"called_station_id": "00-27-22-F3-FA-F1:hostname", "calling_station_id": "%s"}'

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local bodies, next_body
function init(_args)
  bodies = {}
  local users = tonumber(common.env("BENCH_USERS", "0"))
  if users == nil or users < 0 then
    io.stderr:write("BENCH_USERS must be a number\n")
    os.exit(2)
  end
  if users == 0 then
    local name = common.env("BENCH_USERNAME")
    local mac = "5c:7d:c1:72:a7:3b"
    bodies[1] = string.format(body_format, name, common.env("BENCH_PASSWORD"), mac)
  else
    local prefix = common.env("BENCH_USER_PREFIX", "bench")
    local pass = common.env("BENCH_PASSWORD_PREFIX", "benchpass-")
    for i = 1, users do
      local mac = string.format("02:00:00:00:%02x:%02x", math.floor(i / 256) % 256, i % 256)
      bodies[i] = string.format(body_format, prefix .. i, pass .. i, mac)
    end
  end
  -- threads start at different users so that they do not hit the same one together
  next_body = ((tid - 1) * 7919) % #bodies + 1
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, body)
end

done = common.done
