// Wide-character ncurses (Debian: libncursesw5-dev / libncurses-dev).
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <ncursesw/curses.h>

// Mouse masks are function-like macros, which Swift does not import.
static inline mmask_t reclip_mouse_press_mask(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
static inline int reclip_is_press(mmask_t state) { return (state & (BUTTON1_PRESSED | BUTTON1_CLICKED)) != 0; }

// ncurses' and stdio's globals, read through functions: Swift 6 refuses direct references to
// C global variables (shared mutable state). The explorer touches them from its one terminal
// owner only.
static inline WINDOW *reclip_stdscr(void) { return stdscr; }
static inline WINDOW *reclip_curscr(void) { return curscr; }
static inline int reclip_colors(void) { return COLORS; }
static inline FILE *reclip_stdout(void) { return stdout; }
static inline FILE *reclip_stdin(void) { return stdin; }
