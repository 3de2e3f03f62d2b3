-- nslab.options: option tables are checked, never silently ignored:
-- veth("a", "b", {mtux = 1400}) fails with "link add: invalid option 'mtux'".
local options = {}

function options.check(opts, op, allowed)
  if type(opts) ~= "table" then
    error(string.format("%s: options must be a table, got %s", op, type(opts)), 3)
  end
  for key in pairs(opts) do
    if not allowed[key] then
      error(string.format("%s: invalid option '%s'", op, tostring(key)), 3)
    end
  end
  return opts
end

return options
