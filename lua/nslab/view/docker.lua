-- The view of a docker network (docker.network "bridge", or what
-- docker.network_inspect returns): `docker network inspect NAME` as text
-- (Docker's JSON, a list of one, indented as docker prints it), and the
-- same object, in Docker's key order, as JSON.
local json = require("nslab.json")

local K = {}

local function is_network(x)
  return type(x.name) == "string" and type(x.id) == "string" and type(x.driver) == "string"
         and x.created ~= nil
end

local function is_inspect(x)
  return type(x.Name) == "string" and type(x.Id) == "string" and type(x.Driver) == "string"
         and type(x.IPAM) == "table"
end

function K.is(x)
  return getmetatable(x) == nil and (is_network(x) or is_inspect(x))
end

local O = json.object

-- The inspect object with Docker's key order and its empty lists as [].
local function ordered(i)
  local containers = {}
  for id, c in pairs(i.Containers or {}) do
    containers[id] = O({ "Name", "EndpointID", "MacAddress", "IPv4Address", "IPv6Address" }, c)
  end
  local config = json.array()
  for n, c in ipairs(i.IPAM and i.IPAM.Config or {}) do config[n] = O({ "Subnet", "Gateway" }, c) end
  local out = {}
  for k, v in pairs(i) do out[k] = v end
  out.IPAM = O({ "Driver", "Options", "Config" },
               { Driver = i.IPAM and i.IPAM.Driver, Options = i.IPAM and i.IPAM.Options or json.null,
                 Config = config })
  out.Containers, out.Options, out.Labels = containers, i.Options or {}, i.Labels or {}
  out.ConfigFrom = O({ "Network" }, i.ConfigFrom or { Network = "" })
  return O({ "Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Attachable",
             "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels" }, out)
end

function K.data(x)
  if is_inspect(x) then return ordered(x) end
  local daemon = require("nslab.docker").daemon()
  if daemon.networks[x.name] ~= x then
    error("show: docker network " .. x.name .. " is not one of the daemon's", 0)
  end
  return ordered(daemon:network_inspect(x.name))
end

function K.print(p, i)
  if not p.is_json then
    p:text(json.encode(json.array{ i }, { pretty = true, indent = "    " }) .. "\n")
    return
  end
  for _, key in ipairs(json.keys_of(i)) do p:json(key, i[key]) end
end

return K
