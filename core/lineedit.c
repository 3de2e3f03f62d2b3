/*
 * lineedit.c - the prompt's line editor: libedit, through its readline
 * API, as the Lua module nslab.lineedit (built into bin/nslab only; the
 * REPL reads plain lines without it).
 *
 *   local le = require "nslab.lineedit"
 *   le.isatty(0)                    --> true when stdin is a terminal
 *   le.readline("nslab> ")          --> the line; nil at end of input;
 *                                       false when Ctrl-C abandoned it
 *   le.add_history(line)            remembered (and saved, see below)
 *   le.history_file(path, max)      load path, keep at most max entries,
 *                                   rewrite it after each add_history
 *   le.set_completer(fn)            TAB: fn(before, word) returns the
 *                                   words that may replace word
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "lineedit.h"
#include "lua_aux.h"

#define HISTORY_MAX 100000

/* The state readline's completion calls back into, set while readline
 * runs (the prompt has one Lua state and one thread). */
static lua_State *active = NULL;
static int completer_key; /* its address keys the completer in the registry */
static char *history_path = NULL;

/*
** {==================================================================
** Ctrl-C
** ===================================================================
*/

static volatile sig_atomic_t interrupted = 0, continued = 0, resized = 0;

static void on_sigint (int sig) {
  (void)sig;
  interrupted = 1;
}

/* fg after Ctrl-Z: the shell that had the terminal left it in its modes;
   SIGWINCH: the window's size changed */
static void on_terminal_signal (int sig) {
  if (sig == SIGWINCH)
    resized = 1;
  else
    continued = 1;
}

/*
** One byte of the terminal, read so that Ctrl-C ends the read at once:
** libedit retries a read cut by a signal once before it gives up. EOF
** makes readline return; the flag says the line was abandoned.
*/
static int read_byte (FILE *f) {
  unsigned char c;
  for (;;) {
    if (interrupted) return EOF;
    ssize_t n = read(fileno(f), &c, 1);
    if (n == 1) return c;
    if (n == 0 || errno != EINTR) return EOF;
    if (continued) {
      continued = 0;
      rl_deprep_terminal(); /* libedit sets raw modes only from cooked */
      rl_prep_terminal(1);
      rl_forced_update_display();
    }
    if (resized) {
      resized = 0;
      rl_resize_terminal();
    }
  }
}

/*
** readline's own getc returns a character, which libedit takes for a
** wchar_t: a character of several bytes in UTF-8 is read whole and
** decoded here (byte by byte, each became a character of its own that
** the locale then dropped: "é" read as ""). A malformed sequence gives
** its first byte.
*/
static int getc_interruptible (FILE *f) {
  int c = read_byte(f);
  if (c == EOF || c < 0xC2 || c > 0xF4) return c;
  int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  int code = c & (0x3F >> more);
  for (int i = 0; i < more; i++) {
    int d = read_byte(f);
    if (d == EOF) return EOF;
    if ((d & 0xC0) != 0x80) return c;
    code = code << 6 | (d & 0x3F);
  }
  return code;
}

/* }================================================================== */

/*
** {==================================================================
** Completion
** ===================================================================
*/

/*
** The longest prefix shared by every word of list[1..n].
*/
static char *common_prefix (char **list, int n) {
  size_t len = strlen(list[1]);
  for (int i = 2; i <= n; i++) {
    size_t j = 0;
    while (j < len && list[i][j] == list[1][j]) j++;
    len = j;
  }
  return strndup(list[1], len);
}

/*
** The matches in readline's shape: [0] what replaces the word (the
** common prefix), then each candidate, NULL-terminated; a single
** candidate is [0] alone.
*/
static char **matches_of (lua_State *L, int t) {
  int n = (int)lua_rawlen(L, t), k = 0;
  if (n <= 0 || n > 100000) return NULL;
  char **m = calloc((size_t)n + 2, sizeof *m);
  if (m == NULL) return NULL;
  for (int i = 1; i <= n; i++) {
    if (lua_rawgeti(L, t, i) == LUA_TSTRING) {
      char *s = strdup(lua_tostring(L, -1));
      if (s != NULL) m[++k] = s;
    }
    lua_pop(L, 1);
  }
  if (k == 0) return free(m), NULL;
  if (k == 1) {
    m[0] = m[1];
    m[1] = NULL;
    return m;
  }
  m[0] = common_prefix(m, k);
  if (m[0] == NULL) m[0] = strdup("");
  return m;
}

static int call_completer (lua_State *L) {
  const char *before = lua_touserdata(L, 1);
  const char *word = lua_touserdata(L, 2);
  int start = (int)lua_tointeger(L, 3);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &completer_key);
  lua_pushlstring(L, before, (size_t)start);
  lua_pushstring(L, word);
  lua_call(L, 2, 1);
  return 1;
}

/*
** TAB: ask the Lua completer (protected: a fault in it, even a memory
** error, only means no completion). Never readline's file names.
*/
static char **complete (const char *text, int start, int end) {
  lua_State *L = active;
  (void)end;
  rl_attempted_completion_over = 1;
  if (L == NULL || rl_line_buffer == NULL || start < 0) return NULL;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &completer_key) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return NULL;
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, call_completer);
  lua_pushlightuserdata(L, rl_line_buffer);
  lua_pushlightuserdata(L, (void *)text);
  lua_pushinteger(L, start);
  char **m = NULL;
  if (lua_pcall(L, 3, 1, 0) == LUA_OK && lua_istable(L, -1))
    m = matches_of(L, lua_gettop(L));
  lua_pop(L, 1);
  return m;
}

/* }================================================================== */

static void setup (void) {
  static int done = 0;
  if (done) return;
  done = 1;
  /* libedit keeps the line as wide characters, converted by LC_CTYPE:
     the user's, or UTF-8 where that is C (what terminals send) */
  if (setlocale(LC_CTYPE, "") == NULL ||
      strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
    setlocale(LC_CTYPE, "C.UTF-8");
  rl_readline_name = "nslab";
  rl_catch_signals = 0;
  rl_getc_function = getc_interruptible;
  rl_attempted_completion_function = complete;
  /* a word ends at what ends a Lua name, and at . and : so that a field
     or a method is completed after them; a quote starts a string */
  rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,)}[]+-*/%^~#.:";
  rl_completion_append_character = '\0';
  using_history();
}

/*
** readline(prompt): the line without its newline; nil at end of input;
** false when Ctrl-C abandoned it. SIGINT, SIGCONT and SIGWINCH are ours
** while it waits (the caller's handlers, lua.c's laction, are put back).
*/
static int l_readline (lua_State *L) {
  const char *prompt = luaL_checkstring(L, 1);
  struct sigaction sa, old, cont, old_cont, old_winch;
  setup();
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  cont = sa;
  cont.sa_handler = on_terminal_signal;
  interrupted = continued = 0;
  sigaction(SIGINT, &sa, &old);
  sigaction(SIGCONT, &cont, &old_cont);
  sigaction(SIGWINCH, &cont, &old_winch);
  active = L;
  char *line = readline(prompt);
  active = NULL;
  sigaction(SIGINT, &old, NULL);
  sigaction(SIGCONT, &old_cont, NULL);
  sigaction(SIGWINCH, &old_winch, NULL);
  if (interrupted) {
    free(line);
    interrupted = 0;
    fputc('\n', rl_outstream ? rl_outstream : stdout);
    fflush(rl_outstream ? rl_outstream : stdout);
    lua_pushboolean(L, 0);
    return 1;
  }
  if (line == NULL) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, line);
  free(line);
  return 1;
}

static int l_add_history (lua_State *L) {
  const char *line = luaL_checkstring(L, 1);
  setup();
  add_history(line);
  if (history_path != NULL) write_history(history_path);
  return 0;
}

/*
** history_file(path, max): entries from path (a missing file is an empty
** history), at most max kept, path rewritten on each add_history.
*/
static int l_history_file (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer max = luaL_optinteger(L, 2, 1000);
  luaL_argcheck(L, max >= 1 && max <= HISTORY_MAX, 2, "must be 1..100000");
  setup();
  char *copy = strdup(path);
  if (copy == NULL) return luaL_error(L, "not enough memory");
  free(history_path);
  history_path = copy;
  stifle_history((int)max);
  read_history(history_path);
  return 0;
}

static int l_set_completer (lua_State *L) {
  if (!lua_isnil(L, 1)) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &completer_key);
  return 0;
}

static int l_isatty (lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  lua_pushboolean(L, fd >= 0 && fd <= 1024 && isatty((int)fd));
  return 1;
}

int luaopen_nslab_lineedit (lua_State *L) {
  static const luaL_Reg fns[] = {{"readline", l_readline},
                                 {"add_history", l_add_history},
                                 {"history_file", l_history_file},
                                 {"set_completer", l_set_completer},
                                 {"isatty", l_isatty},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
