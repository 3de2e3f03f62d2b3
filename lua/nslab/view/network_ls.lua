-- The view of a row of docker.network_ls(): `docker network ls` as
-- text, its columns padded as Docker's tabwriter pads them (at least 10
-- wide, 3 spaces after the widest cell); JSON as `docker network ls
-- --format json` names the fields (ID, Name, Driver, Scope).
local K = {}

local COLUMNS = { "NETWORK ID", "NAME", "DRIVER", "SCOPE" }
local JSON = { ["NETWORK ID"] = "ID", NAME = "Name", DRIVER = "Driver", SCOPE = "Scope" }

function K.is(x)
  return getmetatable(x) == nil and type(x["NETWORK ID"]) == "string" and type(x.NAME) == "string"
         and type(x.DRIVER) == "string"
end

function K.data(x) return x end

-- Every row, the header first, each column but the last padded to fit.
function K.list(p, rows)
  local widths = {}
  for i, column in ipairs(COLUMNS) do
    local w = #column
    for _, row in ipairs(rows) do w = math.max(w, #tostring(row[column] or "")) end
    widths[i] = math.max(w + 3, 10)
  end
  local function line(cells)
    for i, cell in ipairs(cells) do
      p:text(i < #cells and "%-" .. widths[i] .. "s" or "%s\n", cell)
    end
  end
  line(COLUMNS)
  for _, row in ipairs(rows) do
    p:object(nil, function()
      local cells = {}
      for i, column in ipairs(COLUMNS) do
        cells[i] = tostring(row[column] or "")
        p:json(JSON[column], row[column])
      end
      line(cells)
    end)
  end
end

-- One row alone: the same table, of one.
function K.print(p, row)
  local items = { row }
  if not p.is_json then return K.list(p, items) end
  for _, column in ipairs(COLUMNS) do p:json(JSON[column], row[column]) end
end

return K
