-- The view of an nf_tables table or chain (ns:nft_table(...), t:chain(...)):
-- `nft list table FAMILY NAME` (or `nft list chain ...`) as text, in nft's
-- own layout; JSON in the shape of `nft -j list table`: {nftables = [
-- {table = ...}, {chain = ...}, {rule = ...}]}, a rule's text (as nft
-- prints it) in place of nft's expression tree.
local K = {}

function K.is(x)
  local nft = require("nslab.nft")
  local mt = getmetatable(x)
  return mt == nft.Table or mt == nft.Chain
end

function K.op(x)
  return getmetatable(x) == require("nslab.nft").Chain and "nft list chain" or "nft list table"
end

function K.data(x)
  local nft = require("nslab.nft")
  local t = getmetatable(x) == nft.Chain and x.table or x
  local listing = x.ns.handle:nft_list(t.family, t.name)
  local found = #listing.tables > 0
  if found and t ~= x then
    found = false
    for _, c in ipairs(listing.chains) do found = found or c.name == x.name end
  end
  if not found then
    error(string.format("%s %s %s%s: No such file or directory", K.op(x), t.family, t.name,
                        t ~= x and " " .. x.name or ""), 0)
  end
  local text = nft.ruleset_text(x.ns)
  return { family = t.family, name = t.name, chain = t ~= x and x.name or nil, listing = listing, text = text }
end

-- The lines of `nft list ruleset` that are table FAMILY NAME (and, for a
-- chain, only that chain's block inside it).
local function block(d)
  local lines, inside, keep = {}, false, true
  for line in d.text:gmatch("([^\n]*)\n") do
    if line == ("table %s %s {"):format(d.family, d.name) then inside = true end
    if inside then
      local chain = line:match("^\tchain (.-) {$")
      if chain and d.chain then keep = chain == d.chain end
      if keep and not (d.chain and line == "" ) then lines[#lines + 1] = line end
      if line == "\t}" then keep = true end
      if line == "}" then break end
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

function K.print(p, d)
  p:text(block(d))
  p:array("nftables", function()
    local t = d.listing.tables[1]
    if not p.is_json or not t then return end
    p:object(nil, function()
      p:object("table", function()
        p:json("family", t.family)
        p:json("name", t.name)
        p:json("handle", t.handle)
      end)
    end)
    for _, c in ipairs(d.listing.chains) do
      if not d.chain or c.name == d.chain then
        p:object(nil, function()
          p:object("chain", function()
            for _, key in ipairs{ "family", "table", "name", "handle", "type", "hook" } do p:json(key, c[key]) end
            p:json("prio", c.priority)
            p:json("policy", c.policy)
          end)
        end)
      end
    end
    for _, r in ipairs(d.listing.rules) do
      if not d.chain or r.chain == d.chain then
        p:object(nil, function()
          p:object("rule", function()
            for _, key in ipairs{ "family", "table", "chain", "handle", "text" } do p:json(key, r[key]) end
          end)
        end)
      end
    end
  end)
end

return K
