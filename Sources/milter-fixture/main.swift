// A tiny filter on the Milter module, driven by MilterTests over a real socket.
// Usage: milter-fixture --socket SPEC [--group NAME] [--mode OCTAL]
import Milter

// First statement, before anything can start a thread: see MilterRunner.blockStopSignals.
try MilterRunner.blockStopSignals()

FixtureMain.main(Array(CommandLine.arguments.dropFirst()))
