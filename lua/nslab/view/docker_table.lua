-- A view kind for the rows of a docker listing (docker network ls,
-- docker ps): as text, the columns padded as Docker's tabwriter pads them
-- (at least 10 wide, 3 spaces after the widest cell); as JSON, the fields
-- named as `--format json` names them.
--
--   return require("nslab.view.docker_table"){ columns = {...}, json = {column = "Name"}, keys = {"NAME"} }
return function(spec)
  local K = {}
  local COLUMNS, JSON = spec.columns, spec.json

  -- A plain table with a string in every key column (spec.keys).
  function K.is(x)
    if getmetatable(x) ~= nil then return false end
    for _, column in ipairs(spec.keys) do
      if type(x[column]) ~= "string" then return false end
    end
    return true
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
end
