// breakwater-stress: drives a running Breakwater (or any milter) hard, from the MTA side, and
// watches the daemon's process while it does. RELIABILITY.md gives every command and figure.
//   breakwater-stress flood    --socket PATH --pid PID [options]   10 M fresh messages through the socket
//   breakwater-stress hostile  --socket PATH --pid PID [options]   millions of mutated/broken sessions
//   breakwater-stress soak     --socket PATH --pid PID [options]   steady mixed traffic, RSS/fd sampled
// Exit 0 only if every check held; 1 if one failed; 64 on bad usage.
import Glibc

let arguments = Array(CommandLine.arguments.dropFirst())
let options = StressOptions(Array(arguments.dropFirst()))
let status: Int32
switch arguments.first {
case "flood": status = LiveFlood.run(options)
case "hostile": status = HostileFlood.run(options)
case "soak": status = Soak.run(options)
default:
    StressOutput.error("usage: breakwater-stress flood|hostile|soak --socket PATH --pid PID [options] (see RELIABILITY.md)")
    status = 64
}
exit(status)
