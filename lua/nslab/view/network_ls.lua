-- The view of a row of docker.network_ls(): `docker network ls` as text
-- (nslab.view.docker_table); JSON as `docker network ls --format json`
-- names the fields (ID, Name, Driver, Scope).
return require("nslab.view.docker_table"){
  columns = { "NETWORK ID", "NAME", "DRIVER", "SCOPE" },
  json = { ["NETWORK ID"] = "ID", NAME = "Name", DRIVER = "Driver", SCOPE = "Scope" },
  keys = { "NETWORK ID", "NAME", "DRIVER" },
}
