-- 16 pipelined GETs per write (keep-alive).
init = function(args)
  local r = {}
  for i = 1, 16 do
    r[i] = wrk.format("GET", "/small.txt")
  end
  req = table.concat(r)
end

request = function()
  return req
end
