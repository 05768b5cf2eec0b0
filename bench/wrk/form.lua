-- form.lua - wrk script: each POST of a page's form comes with the cookie (`owums_csrf`: an
-- anonymous visitor has no session) and CSRF token of a GET of that page, as a browser would
-- send them.
--
-- Every connection alternates GET <path> and POST <path>. The GET's Set-Cookie and its
-- `csrf_token` field go into a per-thread queue; the next request of any connection of the
-- thread posts the form with them (fields from body_for(n), n counting the posts of the
-- thread). A POST answered 303 (the page's redirect on success) counts as done; done()
-- prints the figures for the POSTs alone.
--
-- Run with as many connections as threads (-tN -cN): a thread then has one request in
-- flight at a time, so each answer is known to belong to the request sent before it.
-- Loaded by login.lua / signup.lua, which set `path`, `success_location` and `body_for`.
--
-- wrk (4.x) calls request() once in the first thread to check the script and never sends
-- that request. It must not be queued as in flight: the first thread's answers would then
-- each be paired with the request before them — every POST's 303 read as a GET, every
-- GET's form read as a POST that "came back as the form" (that was the 8 % of failed form
-- posts, all in one thread of eight, in earlier runs; the server had answered them all 303).

local queue = {}
local posts, gets = 0, 0
ok, failed = 0, 0          -- globals: done() reads them with thread:get
local threads = {}
local pending = {}         -- the kinds of the requests in flight: "GET" or "POST"
local checked              -- whether wrk's check call of request() is behind us

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(_args)
  checked = id ~= 1
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function form(fields)
  local parts = {}
  for _, kv in ipairs(fields) do
    table.insert(parts, urlencode(kv[1]) .. "=" .. urlencode(kv[2]))
  end
  return table.concat(parts, "&")
end

function request()
  if not checked then
    checked = true
    return wrk.format("GET", path)  -- wrk's check call: never sent, so not in flight
  end
  local item = table.remove(queue, 1)
  if item == nil then
    table.insert(pending, "GET")
    return wrk.format("GET", path)
  end
  posts = posts + 1
  table.insert(pending, "POST")
  local headers = {
    ["Cookie"] = item.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  return wrk.format("POST", path, headers, body_for(id, posts, item))
end

function response(status, headers, body)
  local kind = table.remove(pending, 1)
  if kind == "GET" then
    gets = gets + 1
    local cookie = headers["Set-Cookie"] or headers["set-cookie"]
    local token = body and string.match(body, 'name="csrf_token" value="([^"]+)"')
    if cookie and token then
      table.insert(queue, { cookie = string.match(cookie, "^[^;]+"), token = token, body = body })
    end
  elseif kind == "POST" then
    local location = headers["Location"] or headers["location"] or ""
    if status == 303 and string.find(location, success_location, 1, true) then
      ok = ok + 1
    else
      failed = failed + 1
      if failed <= 3 then
        -- why: the page's alert or first field error, when it shows one
        local why = body and (string.match(body, 'role="alert"[^>]*>([^<]*)')
          or string.match(body, 'class="error"[^>]*>([^<]*)')) or ""
        io.stderr:write(string.format("POST %s -> %d %s %s\n", path, status, location, why))
      end
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_failed = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + (t:get("ok") or 0)
    total_failed = total_failed + (t:get("failed") or 0)
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("FORM %s ok=%d failed=%d seconds=%.2f per_second=%.1f\n",
    path, total_ok, total_failed, seconds, total_ok / seconds))
end
