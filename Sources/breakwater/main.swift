// The `breakwater` command. Everything it does lives in the Daemon library; see Commands.swift.
import Daemon

// First statement, before any thread exists: libmilter's signal thread (SIGHUP, SIGTERM,
// SIGINT) and the reload thread (SIGUSR1) wait for these with sigwait; every other thread must
// have them blocked, or the first thread the kernel picks takes the default action and dies.
DaemonSignals.block()

BreakwaterCommand.main()
