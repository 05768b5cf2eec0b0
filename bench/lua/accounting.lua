-- wrk script: POST /api/v1/freeradius/accounting/ with the JSON body of openwisp-radius'
-- documented rlm_rest configuration (reference: peers-and-protocols.md §3.2): the 18
-- fields, empty strings for attributes the NAS did not send.
--
-- Every session gets a Start, BENCH_INTERIMS Interim-Updates with growing counters and a
-- Stop. Each wrk thread keeps BENCH_POOL sessions going: the Start of all of them, then
-- their first Interim-Update, ..., then their Stop, then BENCH_POOL new sessions. Keep the
-- pool well above the connections per thread, so that a session's Start has been answered
-- before its next packet is sent. Session ids, user names and MAC addresses carry 32 random
-- bits per thread and run: runs never touch each other's rows.
--
-- env: BENCH_AUTHORIZATION (see common.lua)
--      BENCH_INTERIMS   Interim-Updates per session (default 2)
--      BENCH_POOL       sessions per thread at a time (default 64)
--
-- wrk -t2 -c16 -d5s -s bench/lua/accounting.lua http://127.0.0.1:PORT/api/v1/freeradius/accounting/

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
common.post_json()

local interims = tonumber(common.env("BENCH_INTERIMS", "2"))
local pool = tonumber(common.env("BENCH_POOL", "64"))

local body_format = '{"status_type": "%s", "session_id": "%s", "unique_id": "%s", ' ..
  '"username": "%s", "realm": "", "nas_ip_address": "10.8.0.1", "nas_port_id": "1", ' ..
  '"nas_port_type": "Wireless-802.11", "session_time": "%s", "authentication": "RADIUS", ' ..
  '"input_octets": "%s", "output_octets": "%s", ' ..
  '"called_station_id": "00-27-22-F3-FA-F1:hostname", "calling_station_id": "%s", ' ..
  '"terminate_cause": "%s", "service_type": "Framed-User", "framed_protocol": "", ' ..
  '"framed_ip_address": "%s"}'

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local tag, sent, verified
function init(_args)
  tag = common.random_tag()
  sent = 0
  -- wrk calls request() once in the first thread to check the script and drops that
  -- request: do not let it use up the first session's Start
  verified = tid ~= 1
end

-- LuaJIT (Lua 5.1): no integer operators
local function octet(i, shift) return math.floor(i / 2 ^ shift) % 256 end

function request()
  local rounds = interims + 2  -- Start, the Interim-Updates, Stop
  local block = pool * rounds
  local j = sent % block
  local round = math.floor(j / pool)
  local session = math.floor(sent / block) * pool + j % pool
  if verified then sent = sent + 1 else verified = true end

  local sid = string.format("%s%02x%06x", tag, tid % 256, session)
  local status, seconds, octets_in, octets_out, cause = "Start", "", "", "", ""
  if round > 0 then
    status = round <= interims and "Interim-Update" or "Stop"
    seconds = tostring(300 * round)
    octets_in = tostring(7000000 * round)
    octets_out = tostring(35000000 * round)
    if status == "Stop" then cause = "User-Request" end
  end
  local mac = string.format("02:%02x:%02x:%02x:%02x:%02x", tid % 256,
    octet(session, 24), octet(session, 16), octet(session, 8), octet(session, 0))
  local ip = string.format("10.%d.%d.%d", octet(session, 16), octet(session, 8), octet(session, 0))
  local body = string.format(body_format, status, sid, sid, "acct-" .. sid,
    seconds, octets_in, octets_out, mac, cause, ip)
  return wrk.format(nil, nil, nil, body)
end

done = common.done
