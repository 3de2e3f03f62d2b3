-- nslab: a Linux network lab driven from Lua.
--
--   local nslab = require "nslab"
--   local test1 = nslab.netns.add "test1"
--
-- From the stock interpreter, point Lua at the tree (see README):
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="lib/?.so;;" lua5.4
local nslab = {
  core = require("nslab.core"),
  netns = require("nslab.netns"),
  link = require("nslab.link"),
  bridge = require("nslab.bridge"),
  kinds = require("nslab.kinds"),
  container = require("nslab.container"),
  docker = require("nslab.docker"),
  trace = require("nslab.trace"),
  ipv6 = require("nslab.ipv6"), -- nslab.ipv6(true): links keep IPv6 address generation
}

-- The names a lab or the REPL sees: the API, with the world's host
-- namespace as `host`.
function nslab.globals()
  return {
    nslab = nslab,
    netns = nslab.netns,
    host = nslab.netns.host(),
    core = nslab.core,
    container = nslab.container,
    docker = nslab.docker,
    trace = nslab.trace,
  }
end

return nslab
