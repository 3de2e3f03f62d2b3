-- luacheck (Debian lua-check): `make lint` runs it on lua/, labs/, spec/,
-- bench/ and tools/test. Lua 5.4 everywhere; the exceptions below are the
-- environments nslab itself gives a file.
std = "lua54"
max_line_length = 120

-- A lab runs in the environment lab.lua makes: the API (nslab.globals()),
-- the runner's words, and the globals the lab defines itself (a lab reads
-- like a tutorial: `test1 = netns.add "test1"` in one step, used in the
-- next).
files["labs/"] = {
  read_globals = { "nslab", "netns", "host", "core", "container", "docker", "trace",
                   "lab", "section", "step", "show", "check", "graph", "help" },
  allow_defined = true,
  -- a lab's globals are also what `nslab repl LAB` puts in scope
  ignore = { "131" },
}

-- Benchmarks run with `nslab lua`, as plain scripts.
files["bench/"] = {}

-- Specs run under busted. A `local _name <close>` holds a socket open to
-- the end of its scope: used by being there.
files["spec/"] = { std = "+busted", ignore = { "211/_.*" } }
