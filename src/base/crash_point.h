// A test-only fault-point hook: DAVAULT_CRASH_AT=<point> (or any:N) SIGKILLs the process at a
// named step boundary, so crash tests can stop a destructive operation exactly between steps.
#pragma once

namespace davault {

// Kills the process with SIGKILL (no cleanup, no destructors, like a power cut for the
// process) when $DAVAULT_CRASH_AT equals `name`, or is "any:N" and this is the Nth crash point
// the process reaches. Does nothing when the variable is unset. Points are named
// "<operation>.<step>", e.g. "destroy.after_index_commit"; README lists them.
void CrashPoint(const char* name);

}  // namespace davault
