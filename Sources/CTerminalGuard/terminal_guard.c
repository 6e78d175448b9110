// The terminal guard (terminal_guard.h). A fatal signal arrives on the thread that crashed,
// at any point, so the handler itself only calls write(2), tcsetattr(3), sigaction(2) and
// raise(3), all async-signal-safe, and reads state written before the handlers were
// installed; then it hands over to the handler it replaced.
#include "terminal_guard.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
enum { fatal_count = sizeof fatal_signals / sizeof fatal_signals[0] };

static struct sigaction previous[fatal_count];
static struct termios saved_modes;
static int guard_fd = -1;
static volatile sig_atomic_t armed = 0;
static int installed = 0;

// Mouse reporting off (the modes ncurses may have set), attributes reset, cursor shown, the
// main screen back (leaving the alternate one), a fresh line.
static const char restore_sequence[] =
    "\033[?1006l\033[?1002l\033[?1000l\033[0m\033[?25h\033[?1049l\r\n";

static void restore_terminal(void) {
    if (!armed) return;
    armed = 0;
    ssize_t written = write(guard_fd, restore_sequence, sizeof restore_sequence - 1);
    (void)written;
    tcsetattr(guard_fd, TCSANOW, &saved_modes);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
    restore_terminal();
    // Then whoever had the signal before (Swift's backtracer prints its report, now on the
    // main screen), and then the signal's default action, so that the process ends as it
    // would have: a handler that returns from a signal sent with kill(2) would let it run on.
    for (int i = 0; i < fatal_count; i++) {
        if (fatal_signals[i] != sig) continue;
        const struct sigaction *old = &previous[i];
        if (old->sa_flags & SA_SIGINFO) {
            if (old->sa_sigaction) old->sa_sigaction(sig, info, context);
        } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
            old->sa_handler(sig);
        }
        break;
    }
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(sig, &fallback, NULL);
    raise(sig);   // blocked while this handler runs: it ends the process on return
}

static void on_exit_hook(void) { restore_terminal(); }

int reclip_terminal_guard_arm(int fd) {
    struct termios modes;
    if (tcgetattr(fd, &modes) != 0) return -1;
    saved_modes = modes;
    guard_fd = fd;
    if (!installed) {
        installed = 1;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fatal_signal;
        sigemptyset(&action.sa_mask);
        // SA_ONSTACK: a stack overflow still finds a stack if one is set up (Swift's runtime does).
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        for (int i = 0; i < fatal_count; i++) sigaction(fatal_signals[i], &action, &previous[i]);
        atexit(on_exit_hook);
    }
    armed = 1;
    return 0;
}

void reclip_terminal_guard_disarm(void) { armed = 0; }

int reclip_terminal_guard_armed(void) { return armed; }
