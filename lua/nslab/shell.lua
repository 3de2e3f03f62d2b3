-- nslab.shell: text of shell commands (for the trace of equivalent
-- commands and for exec of a string).
local shell = {}

-- Quote a word only when the shell would split or expand it.
function shell.quote(word)
  word = tostring(word)
  if word ~= "" and not word:find("[^%w%-%._/:=@%%+,]") then return word end
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

function shell.join(words)
  local out = {}
  for i, w in ipairs(words) do out[i] = shell.quote(w) end
  return table.concat(out, " ")
end

return shell
