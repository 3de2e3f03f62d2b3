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
  hosts = require("nslab.hosts"), -- several machines in one lab (nslab.docker_overlay spans them)
  trace = require("nslab.trace"),
  view = require("nslab.view"),
  ipv6 = require("nslab.ipv6"), -- nslab.ipv6(true): links keep IPv6 address generation
}

-- obj:view([opts]): the object's view (nslab.view), text or JSON.
for _, class in ipairs{ nslab.netns.Netns, nslab.link.Link, nslab.bridge.Bridge,
                        require("nslab.nft").Table, require("nslab.nft").Chain } do
  class.view = nslab.view.method
end

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
    show = nslab.view.show,
    help = require("nslab.help").help,
    graph = require("nslab.graph").graph,
  }
end

return nslab
