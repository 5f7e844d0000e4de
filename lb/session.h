// What a worker knows of each client connection it owns, whatever the mode: enough to close it
// at the end of a graceful stop.
#pragma once

namespace tether::lb {

class Session {
 public:
  virtual ~Session() = default;
  // Ends the session now, logging `reason` as how it ended. Worker thread only.
  virtual void close(const char* reason) = 0;
};

}  // namespace tether::lb
