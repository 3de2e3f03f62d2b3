-- The view of a diagnosis (check.why's report, nslab.why): its lines as
-- text, its data (cause, causes, path, back, trace) as JSON.
local K = {}

function K.is(x) return getmetatable(x) == require("nslab.why").Report end

function K.data(x) return x end

local ORDER = { "from", "src", "dst", "arrived", "translated", "cause", "causes", "path", "back", "trace" }

function K.print(p, report)
  if not p.is_json then return p:text(report:text() .. "\n") end
  local d = report:data()
  for _, key in ipairs(ORDER) do p:json(key, d[key]) end
end

return K
