-- Requests with bodies the static server drains: Content-Length and chunked, alternating,
-- plus ranges of the large file. (Host is explicit: wrk sets it only after this file runs.)
local n = 0
local cl = wrk.format("GET", "/small.txt", {["Host"] = "soak", ["Content-Type"] = "application/octet-stream"}, string.rep("b", 4096))
local chunked = "GET /small.txt HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n" ..
  "400\r\n" .. string.rep("c", 1024) .. "\r\n" .. "10;ext=1\r\n" .. string.rep("d", 16) .. "\r\n0\r\n\r\n"
local range = wrk.format("GET", "/large.bin", {["Host"] = "soak", ["Range"] = "bytes=1000-200000"})

request = function()
  n = n + 1
  if n % 3 == 0 then
    return cl
  elseif n % 3 == 1 then
    return chunked
  end
  return range
end
