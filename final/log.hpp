// The server's log: whole lines to stdout (events) and stderr (errors),
// written by a thread of its own.
//
// The io thread only appends a line to a queue. A terminal that scrolls
// slowly, or a pipe nobody reads, therefore delays the log, never the clients'
// ticks. If the writer falls more than 1 MiB behind, further lines are dropped
// and counted, and the count is reported once it catches up.
#pragma once

#include <string>

void log_line(std::string line);   // stdout
void log_error(std::string line);  // stderr
// Writes out everything queued so far and stops the writer; call before exit.
void log_close();
