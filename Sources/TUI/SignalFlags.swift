#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signals caught while the explorer runs, recorded by a handler that only sets a flag; the UI
/// loop reads and clears them and does the work (restore the terminal, suspend, redraw).
///
/// The flags live in memory allocated once before any handler is installed, written by the
/// handler as `sig_atomic_t` stores (the only thing a handler may safely do besides `write`).
public enum SignalFlags {
    /// The signals the explorer handles itself (SIGWINCH stays with ncurses, which turns it into
    /// `KEY_RESIZE`).
    public static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT]

    /// One slot per signal number; written only by `record` and `take`.
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<sig_atomic_t> = {
        let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 65)
        p.initialize(repeating: 0, count: 65)
        return p
    }()

    static let record: @convention(c) (Int32) -> Void = { signal in
        if signal >= 0 && signal < 65 { SignalFlags.slots[Int(signal)] = 1 }
    }

    /// Installs the flag-setting handler for `signal`.
    public static func install(_ signal: Int32) {
        _ = slots  // allocate before a handler can run
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = record
        #else
        action.__sigaction_u.__sa_handler = record
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }

    /// Installs the handler for every signal in `handled`.
    public static func installAll() { handled.forEach(install) }

    /// Puts the default disposition back for every signal in `handled`.
    public static func restoreDefaults() {
        for s in handled { Glibc.signal(s, SIG_DFL) }
    }

    /// Whether `signal` arrived since the last call, clearing its flag.
    public static func take(_ signal: Int32) -> Bool {
        guard slots[Int(signal)] != 0 else { return false }
        slots[Int(signal)] = 0
        return true
    }
}
