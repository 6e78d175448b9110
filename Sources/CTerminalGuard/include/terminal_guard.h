#ifndef RECLIP_TERMINAL_GUARD_H
#define RECLIP_TERMINAL_GUARD_H

/// The explorer's last line of defence for the terminal: while armed, a fatal signal
/// (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP: a crash, a Swift runtime trap, an abort)
/// or an exit that bypasses the explorer's own clean-up puts the terminal back as it was found
/// (mouse reporting off, attributes reset, cursor shown, main screen, the saved termios
/// modes), using only async-signal-safe calls, then lets the signal take its course.

/// Saves the modes of terminal `fd` and arms the guard (installs the handlers and an atexit
/// hook once). Call before the terminal is changed. Returns 0, or -1 if `fd` is not a terminal.
int reclip_terminal_guard_arm(int fd);

/// Disarms it: the explorer restored the terminal itself.
void reclip_terminal_guard_disarm(void);

/// Whether the guard is armed (for tests).
int reclip_terminal_guard_armed(void);

#endif
