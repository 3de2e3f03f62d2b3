local M = {}
function M.help() end
return M
