-- The view of a row of docker.ps(): `docker ps` as text
-- (nslab.view.docker_table); JSON as `docker ps --format json` names the
-- fields (ID, Status, Ports, Names, Networks).
return require("nslab.view.docker_table"){
  columns = { "CONTAINER ID", "STATUS", "PORTS", "NAMES", "NETWORKS" },
  json = { ["CONTAINER ID"] = "ID", STATUS = "Status", PORTS = "Ports", NAMES = "Names", NETWORKS = "Networks" },
  keys = { "CONTAINER ID", "STATUS", "NAMES" },
}
